// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * honeevent: the module parameters and the devices' lifetime.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/ctype.h>

#include "reader.h"

/*
 * The parameters that can change at run time (0644) are checked when
 * written, at load as afterwards: a bad value is refused with EINVAL and
 * one line in the kernel log saying which and why.
 */
static int set_ranged(const char *val, const struct kernel_param *kp,
		      unsigned int lo, unsigned int hi)
{
	unsigned int v;
	int err = kstrtouint(val, 0, &v);

	if (err || v < lo || v > hi) {
		pr_err("invalid parameter: %s must be %u-%u, not \"%s\"\n",
		       kp->name, lo, hi, val);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static int set_order(const char *val, const struct kernel_param *kp)
{
	return set_ranged(val, kp, HONE_MIN_PAGEORDER, HONE_MAX_PAGEORDER);
}

static int set_flush(const char *val, const struct kernel_param *kp)
{
	return set_ranged(val, kp, 0, HONE_MAX_FLUSH_MS);
}

static int set_readers(const char *val, const struct kernel_param *kp)
{
	return set_ranged(val, kp, 1, HONE_MAX_READERS);
}

static int set_snaplen(const char *val, const struct kernel_param *kp)
{
	return set_ranged(val, kp, 0, INT_MAX);
}

static const struct kernel_param_ops order_ops = {
	.set = set_order, .get = param_get_uint,
};

static const struct kernel_param_ops flush_ops = {
	.set = set_flush, .get = param_get_uint,
};

static const struct kernel_param_ops readers_ops = {
	.set = set_readers, .get = param_get_uint,
};

static const struct kernel_param_ops snaplen_ops = {
	.set = set_snaplen, .get = param_get_int,
};

static char *devname = "hone";
module_param(devname, charp, 0444);
MODULE_PARM_DESC(devname, "device name; the text device adds a 't'");

static int major;
module_param(major, int, 0444);
MODULE_PARM_DESC(major, "device major (0: dynamic; reads back the one used)");

static char *hostid = "";
module_param(hostid, charp, 0444);
MODULE_PARM_DESC(hostid, "host id: a GUID (32 hex digits) or any string");

static char *comment = "";
module_param(comment, charp, 0444);
MODULE_PARM_DESC(comment, "SHB comment (\\040 and \\x20 are spaces)");

int hone_snaplen;
module_param_cb(snaplen, &snaplen_ops, &hone_snaplen, 0644);
MODULE_PARM_DESC(snaplen, "default snaplen of a new reader (0: whole packet)");

unsigned int hone_pageorder = 9;
module_param_cb(pageorder, &order_ops, &hone_pageorder, 0644);
MODULE_PARM_DESC(pageorder, "each reader's ring per CPU: PAGE_SIZE << pageorder bytes (4-12)");

unsigned int hone_flush_ms = 100;
module_param_cb(flush_ms, &flush_ops, &hone_flush_ms, 0644);
MODULE_PARM_DESC(flush_ms, "a new reader's flush timeout in ms (0: wake at every record)");

unsigned int hone_max_readers = 8;
module_param_cb(max_readers, &readers_ops, &hone_max_readers, 0644);
MODULE_PARM_DESC(max_readers, "readers open at once (1-64); one more gets EBUSY");

struct hone_config hone_config;

#define HOSTID_MAX	255
/* param_set_charp() refuses a longer string before Hone sees it */
#define COMMENT_MAX	1024

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 32 hex digits, braces and dashes allowed: the GUID form. */
static bool parse_guid(const char *s, u8 *guid)
{
	u8 raw[16];
	int n = 0, v;

	for (; *s; s++) {
		if (*s == '{' || *s == '}' || *s == '-')
			continue;
		v = nibble(*s);
		if (v < 0 || n == 32)
			return false;
		raw[n / 2] = n % 2 ? raw[n / 2] | v : v << 4;
		n++;
	}
	if (n != 32)
		return false;
	/* data1-3 in host order, data4 as bytes. */
	*(u32 *)guid = (u32)raw[0] << 24 | raw[1] << 16 | raw[2] << 8 | raw[3];
	*(u16 *)(guid + 4) = raw[4] << 8 | raw[5];
	*(u16 *)(guid + 6) = raw[6] << 8 | raw[7];
	memcpy(guid + 8, raw + 8, 8);
	return true;
}

/* "\040" and "\x20" become spaces, as in 15.07. */
static char *decode_comment(const char *s)
{
	char *out = kstrdup(s, GFP_KERNEL), *d = out;

	if (!out)
		return NULL;
	while (*s) {
		if (!strncmp(s, "\\040", 4) || !strncmp(s, "\\x20", 4)) {
			*d++ = ' ';
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
	return out;
}

static const char *check_params(void)
{
	if (!devname || !*devname || strlen(devname) > 32 ||
	    strchr(devname, '/'))
		return "devname must be 1-32 characters without '/'";
	if (major < 0 || major >= (1 << (32 - MINORBITS)))
		return "major out of range";
	if (!hostid || strlen(hostid) > HOSTID_MAX)
		return "hostid longer than 255 characters";
	if (!comment || strlen(comment) > COMMENT_MAX)
		return "comment longer than 1024 characters";
	return NULL;
}

static int __init honeevent_init(void)
{
	const char *bad = check_params();
	int err;

	if (bad) {
		pr_err("invalid parameter: %s\n", bad);
		return -EINVAL;
	}
	hone_config.hostid = hostid;
	hone_config.hostid_is_guid = parse_guid(hostid, hone_config.guid);
	hone_config.comment = decode_comment(comment);
	if (!hone_config.comment)
		return -ENOMEM;
	err = hone_devices_init(devname, &major);
	if (err)
		goto err_comment;
	return 0;

err_comment:
	kfree(hone_config.comment);
	pr_err("devices %s, %st: error %d\n", devname, devname, err);
	return err;
}

static void __exit honeevent_exit(void)
{
	hone_devices_remove();
	hone_devices_uninit();
	kfree(hone_config.comment);
}

module_init(honeevent_init);
module_exit(honeevent_exit);
MODULE_DESCRIPTION("Hone capture devices: PCAP-NG and text");
MODULE_AUTHOR("The Hone authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(HONE_VERSION);
MODULE_ALIAS("hone");
