// SPDX-License-Identifier: GPL-2.0

#include <linux/mm.h>
#include "rct_helpers.h"

unsigned long rct_helper_totalram_pages(void)
{
	return totalram_pages();
}
