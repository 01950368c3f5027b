// SPDX-License-Identifier: GPL-2.0

#include <linux/workqueue.h>
#include "rct_helpers.h"

void rct_helper_INIT_DELAYED_WORK(struct delayed_work *dwork,
				  void (*func)(struct work_struct *work))
{
	INIT_DELAYED_WORK(dwork, func);
}

bool rct_helper_queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
				   unsigned long delay)
{
	return queue_delayed_work(wq, dwork, delay);
}
