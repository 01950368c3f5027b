// SPDX-License-Identifier: GPL-2.0
/*
 * nfnetlink and netlink. nfnetlink is a module of its own: rct resolves
 * its functions at load time with symbol_get() (after request_module()),
 * so that `insmod rct.ko` works whether or not nfnetlink is loaded, and rct
 * still loads, without ctnetlink, where nfnetlink is missing. The
 * references taken keep nfnetlink loaded until the last
 * rct_helper_nfnl_put().
 */

#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include "rct_helpers.h"

static int (*rct_nfnl_register)(const struct nfnetlink_subsystem *n);
static int (*rct_nfnl_unregister)(const struct nfnetlink_subsystem *n);
static int (*rct_nfnl_unicast)(struct sk_buff *skb, struct net *net, u32 portid);
static int (*rct_nfnl_send)(struct sk_buff *skb, struct net *net, u32 portid,
			    unsigned int group, int echo, gfp_t flags);
static int (*rct_nfnl_has_listeners)(struct net *net, unsigned int group);

/*
 * Every subsystem registration (entries, expectations) takes a reference
 * and gives it back when it goes: the functions stay resolved, and
 * nfnetlink loaded, until the last one is put.
 */
static DEFINE_MUTEX(rct_nfnl_lock);
static unsigned int rct_nfnl_users;

static void rct_nfnl_release(void)
{
	if (rct_nfnl_register)
		symbol_put(nfnetlink_subsys_register);
	if (rct_nfnl_unregister)
		symbol_put(nfnetlink_subsys_unregister);
	if (rct_nfnl_unicast)
		symbol_put(nfnetlink_unicast);
	if (rct_nfnl_send)
		symbol_put(nfnetlink_send);
	if (rct_nfnl_has_listeners)
		symbol_put(nfnetlink_has_listeners);
	rct_nfnl_register = NULL;
	rct_nfnl_unregister = NULL;
	rct_nfnl_unicast = NULL;
	rct_nfnl_send = NULL;
	rct_nfnl_has_listeners = NULL;
}

void rct_helper_nfnl_put(void)
{
	mutex_lock(&rct_nfnl_lock);
	if (rct_nfnl_users && --rct_nfnl_users == 0)
		rct_nfnl_release();
	mutex_unlock(&rct_nfnl_lock);
}

int rct_helper_nfnl_get(void)
{
	int ret = 0;

	mutex_lock(&rct_nfnl_lock);
	if (!rct_nfnl_users) {
		request_module("nfnetlink");
		rct_nfnl_register = symbol_get(nfnetlink_subsys_register);
		rct_nfnl_unregister = symbol_get(nfnetlink_subsys_unregister);
		rct_nfnl_unicast = symbol_get(nfnetlink_unicast);
		rct_nfnl_send = symbol_get(nfnetlink_send);
		rct_nfnl_has_listeners = symbol_get(nfnetlink_has_listeners);
		if (!(rct_nfnl_register && rct_nfnl_unregister && rct_nfnl_unicast &&
		      rct_nfnl_send && rct_nfnl_has_listeners)) {
			rct_nfnl_release();
			ret = -ENOENT;
		}
	}
	if (!ret)
		rct_nfnl_users++;
	mutex_unlock(&rct_nfnl_lock);
	return ret;
}

int rct_helper_nfnl_subsys_register(const struct nfnetlink_subsystem *n)
{
	return rct_nfnl_register ? rct_nfnl_register(n) : -ENOENT;
}

int rct_helper_nfnl_subsys_unregister(const struct nfnetlink_subsystem *n)
{
	return rct_nfnl_unregister ? rct_nfnl_unregister(n) : -ENOENT;
}

int rct_helper_nfnl_unicast(struct sk_buff *skb, struct net *net, u32 portid)
{
	if (!rct_nfnl_unicast) {
		kfree_skb(skb);
		return -ENOENT;
	}
	return rct_nfnl_unicast(skb, net, portid);
}

int rct_helper_nfnl_send(struct sk_buff *skb, struct net *net, unsigned int group,
			 gfp_t flags)
{
	if (!rct_nfnl_send) {
		kfree_skb(skb);
		return -ENOENT;
	}
	return rct_nfnl_send(skb, net, 0, group, 0, flags);
}

bool rct_helper_nfnl_has_listeners(struct net *net, unsigned int group)
{
	return rct_nfnl_has_listeners && rct_nfnl_has_listeners(net, group);
}

bool rct_helper_ctnetlink_group_active(unsigned int group)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK) && defined(CONFIG_NF_CONNTRACK_EVENTS)
	/* nfnetlink keeps this bitmask (any namespace) for nf's event cache. */
	return group < 8 && (READ_ONCE(nf_ctnetlink_has_listener) & (1U << group));
#else
	return true;
#endif
}

struct sk_buff *rct_helper_nlmsg_new(size_t payload, gfp_t flags)
{
	return nlmsg_new(payload, flags);
}

void rct_helper_kfree_skb(struct sk_buff *skb)
{
	kfree_skb(skb);
}

unsigned int rct_helper_skb_tailroom(const struct sk_buff *skb)
{
	return skb_tailroom(skb);
}

unsigned char *rct_helper_skb_tail_pointer(const struct sk_buff *skb)
{
	return skb_tail_pointer(skb);
}

u32 rct_helper_netlink_portid(const struct sk_buff *skb)
{
	return NETLINK_CB(skb).portid;
}

struct net *rct_helper_sock_net(const struct sock *sk)
{
	return sock_net(sk);
}

int rct_helper_netlink_dump_start(struct sock *ssk, struct sk_buff *skb,
				  const struct nlmsghdr *nlh,
				  struct netlink_dump_control *control)
{
	return netlink_dump_start(ssk, skb, nlh, control);
}
