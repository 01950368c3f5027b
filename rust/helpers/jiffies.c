// SPDX-License-Identifier: GPL-2.0

#include <linux/jiffies.h>
#include "rct_helpers.h"

unsigned long rct_helper_jiffies(void)
{
	return READ_ONCE(jiffies);
}
