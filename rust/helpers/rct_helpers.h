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
struct seq_file;
struct file;
struct inode;

/* net.c */
void *rct_helper_net_generic(const struct net *net, unsigned int id);

/* percpu.c */
void __percpu *rct_helper___alloc_percpu(size_t size, size_t align);
void *rct_helper_per_cpu_ptr(void __percpu *ptr, unsigned int cpu);
void rct_helper_this_cpu_inc(unsigned int __percpu *ptr);
unsigned int rct_helper_nr_cpu_ids(void);
bool rct_helper_cpu_possible(unsigned int cpu);

/* proc_fs.c */
void *rct_helper_pde_data(const struct inode *inode);
struct inode *rct_helper_file_inode(const struct file *f);

/* mm.c */
unsigned long rct_helper_totalram_pages(void);

#endif /* RCT_HELPERS_H */
