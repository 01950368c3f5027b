// SPDX-License-Identifier: GPL-2.0

#include <linux/sched.h>
#include "rct_helpers.h"

void rct_helper_cond_resched(void)
{
	cond_resched();
}
