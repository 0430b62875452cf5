// SPDX-License-Identifier: GPL-2.0
/*
 * sbpipe: pipes for sandboxes.
 *
 * The misc device /dev/sbpipe: each open of it is a sandbox, whose ioctls
 * create pipes and govern them. Also the module parameters and the
 * module-wide counters in sysfs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/sysfs.h>

#include <linux/sbpipe.h>

#include "sbpipe.h"

unsigned int sbpipe_max_size = 1048576;
module_param_named(max_size, sbpipe_max_size, uint, 0644);
MODULE_PARM_DESC(max_size,
		 "Largest ring size in bytes without CAP_SYS_RESOURCE, and the default max_size of a sandbox (default: 1048576)");

unsigned int sbpipe_default_max_pipes = 4096;
module_param_named(default_max_pipes, sbpipe_default_max_pipes, uint, 0644);
MODULE_PARM_DESC(default_max_pipes,
		 "Most pipes a new sandbox may hold at once (default: 4096)");

unsigned long sbpipe_default_max_bytes = 64UL << 20;
module_param_named(default_max_bytes, sbpipe_default_max_bytes, ulong, 0644);
MODULE_PARM_DESC(default_max_bytes,
		 "Most ring bytes, the sum of ring sizes, of a new sandbox (default: 67108864)");

unsigned long sbpipe_max_total_bytes = 1UL << 30;
module_param_named(max_total_bytes, sbpipe_max_total_bytes, ulong, 0644);
MODULE_PARM_DESC(max_total_bytes,
		 "Most ring bytes of all sandboxes together, 0 for no ceiling (default: 1073741824)");

unsigned long sbpipe_user_max_bytes = 256UL << 20;
module_param_named(user_max_bytes, sbpipe_user_max_bytes, ulong, 0644);
MODULE_PARM_DESC(user_max_bytes,
		 "Most ring bytes of one user across all sandboxes, 0 for no ceiling; CAP_SYS_RESOURCE and CAP_SYS_ADMIN are exempt, as from pipe-user-pages-hard (default: 268435456)");

atomic_t sbpipe_nr_sandboxes = ATOMIC_INIT(0);
atomic_t sbpipe_nr_pipes = ATOMIC_INIT(0);
/* Ring bytes charged (the sum of ring sizes), and allocated. */
atomic64_t sbpipe_ring_bytes = ATOMIC64_INIT(0);
atomic64_t sbpipe_ring_bytes_allocated = ATOMIC64_INIT(0);
/*
 * Payload bytes ever written into any pipe: per CPU, so that writers of
 * different pipes do not fight over one counter; summed when read.
 */
DEFINE_PER_CPU(u64, sbpipe_bytes_moved);

static int sbpipe_dev_open(struct inode *inode, struct file *file)
{
	struct sbpipe_sandbox *sb = sbpipe_sandbox_new();

	if (!sb)
		return -ENOMEM;
	file->private_data = sb;
	return 0;
}

static int sbpipe_dev_release(struct inode *inode, struct file *file)
{
	sbpipe_sandbox_release(file->private_data);
	return 0;
}

static long sbpipe_dev_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct sbpipe_sandbox *sb = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case SBPIPE_IOC_CREATE:
		return sbpipe_pipe_create(sb, argp);
	case SBPIPE_IOC_GET_LIMITS:
		return sbpipe_sandbox_get_limits(sb, argp);
	case SBPIPE_IOC_SET_LIMITS:
		return sbpipe_sandbox_set_limits(sb, argp);
	case SBPIPE_IOC_STATS:
		return sbpipe_sandbox_stats(sb, argp);
	case SBPIPE_IOC_SHUTDOWN:
		sbpipe_sandbox_shutdown(sb);
		return 0;
	default:
		return -ENOTTY;
	}
}

static void sbpipe_dev_show_fdinfo(struct seq_file *m, struct file *file)
{
	sbpipe_sandbox_show_fdinfo(file->private_data, m);
}

static const struct file_operations sbpipe_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= sbpipe_dev_open,
	.release	= sbpipe_dev_release,
	.unlocked_ioctl	= sbpipe_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
	.show_fdinfo	= sbpipe_dev_show_fdinfo,
};

static ssize_t sandboxes_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&sbpipe_nr_sandboxes));
}
static DEVICE_ATTR_RO(sandboxes);

static ssize_t pipes_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&sbpipe_nr_pipes));
}
static DEVICE_ATTR_RO(pipes);

static ssize_t ring_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&sbpipe_ring_bytes));
}
static DEVICE_ATTR_RO(ring_bytes);

static ssize_t ring_bytes_allocated_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&sbpipe_ring_bytes_allocated));
}
static DEVICE_ATTR_RO(ring_bytes_allocated);

static ssize_t bytes_moved_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(sbpipe_bytes_moved, cpu));
	return sysfs_emit(buf, "%llu\n", sum);
}
static DEVICE_ATTR_RO(bytes_moved);

/* Counts only, nothing about any one sandbox: world readable. */
static struct attribute *sbpipe_attrs[] = {
	&dev_attr_sandboxes.attr,
	&dev_attr_pipes.attr,
	&dev_attr_ring_bytes.attr,
	&dev_attr_ring_bytes_allocated.attr,
	&dev_attr_bytes_moved.attr,
	NULL,
};
ATTRIBUTE_GROUPS(sbpipe);

static struct miscdevice sbpipe_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "sbpipe",
	.fops	= &sbpipe_dev_fops,
	.groups	= sbpipe_groups,
	.mode	= 0666,
};

static int __init sbpipe_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct sbpipe_create) % 8);
	BUILD_BUG_ON(sizeof(struct sbpipe_info) % 8);
	BUILD_BUG_ON(sizeof(struct sbpipe_size) % 8);
	BUILD_BUG_ON(sizeof(struct sbpipe_peek) % 8);
	BUILD_BUG_ON(sizeof(struct sbpipe_limits) % 8);
	BUILD_BUG_ON(sizeof(struct sbpipe_stats) % 8);

	ret = sbpipe_fs_init();
	if (ret)
		return ret;
	ret = misc_register(&sbpipe_misc);
	if (ret)
		goto err_fs_exit;

	pr_info("version %s loaded, /dev/%s ready\n", SBPIPE_VERSION,
		sbpipe_misc.name);
	return 0;

err_fs_exit:
	sbpipe_fs_exit();
	return ret;
}

/*
 * Every open sandbox or pipe file holds a module reference, and every pipe
 * and sandbox is freed, synchronously, by the last close of its files, so
 * nothing of the module is left at this point; no RCU callback of ours is
 * ever queued either.
 */
static void __exit sbpipe_exit(void)
{
	misc_deregister(&sbpipe_misc);
	sbpipe_fs_exit();
}

module_init(sbpipe_init);
module_exit(sbpipe_exit);

MODULE_DESCRIPTION("Pipes for sandboxes: ring-buffer pipes handed out by /dev/sbpipe");
MODULE_AUTHOR("The sbpipe developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(SBPIPE_VERSION);
