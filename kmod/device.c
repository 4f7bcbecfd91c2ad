// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * The two character devices: devname (minor 0, PCAP-NG) and devname + "t"
 * (minor 1, text). Their mode is 0444: who may open them is decided at
 * open (access.c), not by the mode.
 */
#include <linux/module.h>
#include <linux/cdev.h>
#include <linux/device.h>

#include "reader.h"
#include "compat.h"

static dev_t devt;
static struct cdev *cdev;
static struct class *class;

static char *hone_devnode(HONE_DEVNODE_CONST struct device *dev,
			  umode_t *mode)
{
	if (mode)
		*mode = 0444;
	return NULL;
}

static int make_devices(const char *devname)
{
	struct device *d;

	class = hone_class_create(devname);
	if (IS_ERR(class))
		return PTR_ERR(class);
	class->devnode = hone_devnode;
	d = device_create(class, NULL, devt, NULL, "%s", devname);
	if (!IS_ERR(d))
		d = device_create(class, NULL, devt + 1, NULL, "%st", devname);
	if (IS_ERR(d)) {
		device_destroy(class, devt);
		class_destroy(class);
		return PTR_ERR(d);
	}
	return 0;
}

static int add_cdev(void)
{
	int err;

	cdev = cdev_alloc();
	if (!cdev)
		return -ENOMEM;
	cdev->owner = THIS_MODULE;
	cdev->ops = &hone_fops;
	err = cdev_add(cdev, devt, 2);
	if (err)
		kobject_put(&cdev->kobj);
	return err;
}

int hone_devices_init(const char *devname, int *major)
{
	int err;

	if (*major)
		err = register_chrdev_region(MKDEV(*major, 0), 2, devname);
	else
		err = alloc_chrdev_region(&devt, 0, 2, devname);
	if (err)
		return err;
	if (*major)
		devt = MKDEV(*major, 0);
	*major = MAJOR(devt);
	err = add_cdev();
	if (err)
		goto err_region;
	err = make_devices(devname);
	if (err)
		goto err_cdev;
	return 0;

err_cdev:
	cdev_del(cdev);
err_region:
	unregister_chrdev_region(devt, 2);
	return err;
}

/* New opens fail from here on; open readers go on until they close. */
void hone_devices_remove(void)
{
	device_destroy(class, devt + 1);
	device_destroy(class, devt);
	class_destroy(class);
	cdev_del(cdev);
}

void hone_devices_uninit(void)
{
	unregister_chrdev_region(devt, 2);
}
