/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prototypes of rct's C helpers: one-line wrappers around kernel inline
 * functions and macros that bindgen cannot expose. Both the helper .c files
 * and bindgen (via rust/bindings/bindings_helper.h) read this header, so the
 * Rust and C sides cannot drift apart. Nothing here is exported.
 */
#ifndef RCT_HELPERS_H
#define RCT_HELPERS_H

#include <linux/types.h>
#include <linux/compiler_types.h>

struct net;
struct list_head;
struct seq_file;
struct file;
struct inode;
struct sk_buff;
struct net_device;
struct delayed_work;
struct work_struct;
typedef struct spinlock spinlock_t;

/* net.c */
void *rct_helper_net_generic(const struct net *net, unsigned int id);
struct net *rct_helper_net_exit_next(struct list_head *list, struct net *net);
bool rct_helper_net_is_init(const struct net *net);

/* netdevice.c */
unsigned int rct_helper_netdev_flags(const struct net_device *dev);

/* nfnetlink.c */
struct nfnetlink_subsystem;
struct nlmsghdr;
struct netlink_dump_control;
struct sock;
int rct_helper_nfnl_get(void);
void rct_helper_nfnl_put(void);
int rct_helper_nfnl_subsys_register(const struct nfnetlink_subsystem *n);
int rct_helper_nfnl_subsys_unregister(const struct nfnetlink_subsystem *n);
int rct_helper_nfnl_unicast(struct sk_buff *skb, struct net *net, u32 portid);
int rct_helper_nfnl_send(struct sk_buff *skb, struct net *net, unsigned int group,
			 gfp_t flags);
bool rct_helper_nfnl_has_listeners(struct net *net, unsigned int group);
bool rct_helper_ctnetlink_group_active(unsigned int group);
struct sk_buff *rct_helper_nlmsg_new(size_t payload, gfp_t flags);
void rct_helper_kfree_skb(struct sk_buff *skb);
unsigned int rct_helper_skb_tailroom(const struct sk_buff *skb);
unsigned char *rct_helper_skb_tail_pointer(const struct sk_buff *skb);
u32 rct_helper_netlink_portid(const struct sk_buff *skb);
struct net *rct_helper_sock_net(const struct sock *sk);
int rct_helper_netlink_dump_start(struct sock *ssk, struct sk_buff *skb,
				  const struct nlmsghdr *nlh,
				  struct netlink_dump_control *control);

/* percpu.c */
void __percpu *rct_helper___alloc_percpu(size_t size, size_t align);
void *rct_helper_per_cpu_ptr(void __percpu *ptr, unsigned int cpu);
void rct_helper_this_cpu_inc(unsigned int __percpu *ptr);
unsigned int rct_helper_nr_cpu_ids(void);
bool rct_helper_cpu_possible(unsigned int cpu);

/* rcupdate.c */
void rct_helper_rcu_read_lock(void);
void rct_helper_rcu_read_unlock(void);
unsigned long rct_helper_start_poll_synchronize_rcu(void);
void rct_helper_cond_synchronize_rcu(unsigned long cookie);
bool rct_helper_poll_state_synchronize_rcu(unsigned long cookie);

/* sched.c */
void rct_helper_cond_resched(void);

/* skbuff.c */
void *rct_helper_skb_header_pointer(const struct sk_buff *skb, int offset, int len,
				    void *buffer);
int rct_helper_skb_network_offset(const struct sk_buff *skb);

/* spinlock.c */
void rct_helper_spin_lock_init(spinlock_t *lock);
void rct_helper_spin_lock_bh(spinlock_t *lock);
void rct_helper_spin_unlock_bh(spinlock_t *lock);
void rct_helper_spin_lock_nested(spinlock_t *lock, int subclass);
void rct_helper_spin_unlock(spinlock_t *lock);

/* workqueue.c */
struct workqueue_struct;
void rct_helper_INIT_DELAYED_WORK(struct delayed_work *dwork,
				  void (*func)(struct work_struct *work));
bool rct_helper_queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
				   unsigned long delay);

/* proc_fs.c */
void *rct_helper_pde_data(const struct inode *inode);
struct inode *rct_helper_file_inode(const struct file *f);
struct proc_dir_entry;
void rct_helper_proc_set_net_root(struct proc_dir_entry *pde, const struct net *net);

/* jiffies.c */
unsigned long rct_helper_jiffies(void);

/* mm.c */
unsigned long rct_helper_totalram_pages(void);

/* slab.c */
unsigned int rct_helper_SLAB_NO_MERGE(void);

#endif /* RCT_HELPERS_H */
