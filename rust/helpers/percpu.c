// SPDX-License-Identifier: GPL-2.0

#include <linux/cpumask.h>
#include <linux/percpu.h>
#include "rct_helpers.h"

void __percpu *rct_helper___alloc_percpu(size_t size, size_t align)
{
	return __alloc_percpu(size, align);
}

void *rct_helper_per_cpu_ptr(void __percpu *ptr, unsigned int cpu)
{
	return per_cpu_ptr(ptr, cpu);
}

void rct_helper_this_cpu_inc(unsigned int __percpu *ptr)
{
	this_cpu_inc(*ptr);
}

unsigned int rct_helper_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}

bool rct_helper_cpu_possible(unsigned int cpu)
{
	return cpu_possible(cpu);
}
