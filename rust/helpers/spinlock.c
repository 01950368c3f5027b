// SPDX-License-Identifier: GPL-2.0

#include <linux/spinlock.h>
#include "rct_helpers.h"

void rct_helper_spin_lock_init(spinlock_t *lock)
{
	spin_lock_init(lock);
}

void rct_helper_spin_lock_bh(spinlock_t *lock)
{
	spin_lock_bh(lock);
}

void rct_helper_spin_unlock_bh(spinlock_t *lock)
{
	spin_unlock_bh(lock);
}

void rct_helper_spin_lock_nested(spinlock_t *lock, int subclass)
{
	spin_lock_nested(lock, subclass);
}

void rct_helper_spin_unlock(spinlock_t *lock)
{
	spin_unlock(lock);
}
