// SPDX-License-Identifier: GPL-2.0
/*
 * Why helpers exist: Rust calls C through bindgen, and bindgen can only bind
 * real functions with external linkage. Kernel static inline functions and
 * macros (net_generic, this_cpu_inc, per_cpu_ptr, ...) are not callable that
 * way, so each gets a tiny non-inline wrapper named rct_helper_<kernel name>.
 * The files are grouped by kernel header and included here in alphabetical
 * order, as upstream rust/helpers/helpers.c does.
 */

#include "jiffies.c"
#include "mm.c"
#include "net.c"
#include "netdevice.c"
#include "nfnetlink.c"
#include "percpu.c"
#include "proc_fs.c"
#include "rcupdate.c"
#include "sched.c"
#include "skbuff.c"
#include "slab.c"
#include "spinlock.c"
#include "workqueue.c"
