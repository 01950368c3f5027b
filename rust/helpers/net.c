// SPDX-License-Identifier: GPL-2.0

#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include "rct_helpers.h"

void *rct_helper_net_generic(const struct net *net, unsigned int id)
{
	return net_generic(net, id);
}

struct net *rct_helper_net_exit_next(struct list_head *list, struct net *net)
{
	struct list_head *pos = net ? net->exit_list.next : list->next;

	return pos == list ? NULL : list_entry(pos, struct net, exit_list);
}

bool rct_helper_net_is_init(const struct net *net)
{
	return net_eq(net, &init_net);
}
