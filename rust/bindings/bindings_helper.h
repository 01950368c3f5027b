/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input of rct's bindgen run (see Kbuild): the kernel headers whose items rct
 * binds, plus the prototypes of rct's own C helpers.
 */
#include <linux/cpumask.h>
#include <linux/moduleparam.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <linux/skbuff.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/netlink.h>

#include "../helpers/rct_helpers.h"
