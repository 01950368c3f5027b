// SPDX-License-Identifier: GPL-2.0

#include <linux/slab.h>
#include "rct_helpers.h"

unsigned int rct_helper_SLAB_NO_MERGE(void)
{
	return (__force unsigned int)SLAB_NO_MERGE;
}
