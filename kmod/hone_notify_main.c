// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * hone_notify, the event core: subscribes to the three event sources,
 * keeps the per-socket table and hands each event to the readers
 * (sink.c). This file only registers and unwinds.
 */
#include <linux/module.h>

#include "hone.h"
#include "notify.h"
#include "mem.h"
#include "socktable.h"

static int __init hone_notify_init(void)
{
	int err;

	hone_sinks_init();
	err = hone_mem_init();
	if (err)
		goto err_out;
	err = hone_socktable_init();
	if (err)
		goto err_mem;
	err = hone_sock_events_init();
	if (err)
		goto err_socktable;
	err = hone_proc_events_init();
	if (err)
		goto err_sock_events;
	return 0;

err_sock_events:
	hone_sock_events_uninit();
err_socktable:
	hone_socktable_uninit();
err_mem:
	hone_mem_uninit();
err_out:
	pr_err("event core: error %d\n", err);
	return err;
}

static void __exit hone_notify_exit(void)
{
	hone_proc_events_uninit();
	hone_sock_events_uninit();
	hone_socktable_uninit();
	hone_mem_uninit();
}

module_init(hone_notify_init);
module_exit(hone_notify_exit);
MODULE_DESCRIPTION("Hone event core: events, per-socket table, readers");
MODULE_AUTHOR("The Hone authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(HONE_VERSION);
