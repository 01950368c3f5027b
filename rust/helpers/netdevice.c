// SPDX-License-Identifier: GPL-2.0

#include <linux/netdevice.h>
#include "rct_helpers.h"

unsigned int rct_helper_netdev_flags(const struct net_device *dev)
{
	return READ_ONCE(dev->flags);
}
