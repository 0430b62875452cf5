// SPDX-License-Identifier: GPL-2.0
/*
 * sbpipe: pipes for sandboxes.
 *
 * The misc device /dev/sbpipe. Each open of it is a sandbox.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <linux/sbpipe.h>

#include "sbpipe.h"

static long sbpipe_dev_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	return -ENOTTY;
}

static const struct file_operations sbpipe_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= sbpipe_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice sbpipe_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "sbpipe",
	.fops	= &sbpipe_dev_fops,
	.mode	= 0666,
};

static int __init sbpipe_init(void)
{
	int ret;

	ret = misc_register(&sbpipe_misc);
	if (ret)
		return ret;

	pr_info("version %s loaded, /dev/%s ready\n", SBPIPE_VERSION,
		sbpipe_misc.name);
	return 0;
}

static void __exit sbpipe_exit(void)
{
	misc_deregister(&sbpipe_misc);
}

module_init(sbpipe_init);
module_exit(sbpipe_exit);

MODULE_DESCRIPTION("Pipes for sandboxes: ring-buffer pipes handed out by /dev/sbpipe");
MODULE_AUTHOR("The sbpipe developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(SBPIPE_VERSION);
