// SPDX-License-Identifier: GPL-2.0

#include <linux/rcupdate.h>
#include "rct_helpers.h"

void rct_helper_rcu_read_lock(void)
{
	rcu_read_lock();
}

void rct_helper_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

unsigned long rct_helper_start_poll_synchronize_rcu(void)
{
	return start_poll_synchronize_rcu();
}

void rct_helper_cond_synchronize_rcu(unsigned long cookie)
{
	cond_synchronize_rcu(cookie);
}

bool rct_helper_poll_state_synchronize_rcu(unsigned long cookie)
{
	return poll_state_synchronize_rcu(cookie);
}
