// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * The readers of /dev/hone (minor 0, PCAP-NG) and /dev/honet (minor 1,
 * text). Each open is an independent reader with its own ring.
 *
 * A section is: head, snapshot, live events, and on HEIO_RESTART (or
 * unload) the tail, after which one read() returns 0.
 *
 * Unloading with readers open: an open file would normally pin the module.
 * Instead open() gives back the module references its file holds and
 * release() takes them again; module exit ends every section, waits for
 * the readers to close, then for those references to be dropped.
 */
#include <linux/module.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/delay.h>
#include <linux/uaccess.h>
#include <linux/sched/signal.h>

#include "reader.h"
#include "compat.h"

static LIST_HEAD(readers);
static DEFINE_MUTEX(readers_lock);
static atomic_t nreaders = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(unload_wq);

static dev_t devt;
static struct cdev *cdev;
static struct class *class;

int hone_buf_reserve(struct hone_buf *b, size_t n)
{
	if (n <= b->cap)
		return 0;
	kvfree(b->data);
	b->cap = 0;
	b->data = kvmalloc(n, GFP_KERNEL);
	if (!b->data)
		return -ENOMEM;
	b->cap = n;
	return 0;
}

void hone_reader_stats(struct hone_reader *r, struct hone_stats *st)
{
	struct hone_counters c;

	hone_counters_read(&c);
	memset(st, 0, sizeof(*st));
	st->packets_received = c.pkt_received;
	st->packets_dropped = c.pkt_dropped;
	st->packets_filtered = atomic64_read(&r->pkt_filtered);
	st->packets_ring_dropped = atomic64_read(&r->pkt_ring_dropped);
	st->packets_delivered = atomic64_read(&r->pkt_delivered);
	st->process_received = c.proc_received;
	st->process_dropped = c.proc_dropped;
	st->process_ring_dropped = atomic64_read(&r->proc_ring_dropped);
	st->process_delivered = atomic64_read(&r->proc_delivered);
	st->socket_received = c.sock_received;
	st->socket_dropped = c.sock_dropped;
	st->socket_ring_dropped = atomic64_read(&r->sock_ring_dropped);
	st->socket_delivered = atomic64_read(&r->sock_delivered);
}

static void count(struct hone_reader *r, const struct hone_event *ev,
		  bool delivered)
{
	if (ev->type == HONE_EV_PKT)
		atomic64_inc(delivered ? &r->pkt_delivered
				       : &r->pkt_ring_dropped);
	else if (ev->type == HONE_EV_PROC)
		atomic64_inc(delivered ? &r->proc_delivered
				       : &r->proc_ring_dropped);
	else
		atomic64_inc(delivered ? &r->sock_delivered
				       : &r->sock_ring_dropped);
}

/* Any context: never sleeps, wakes the reader through irq_work. */
static void deliver(struct hone_sink *sink, struct hone_event *ev)
{
	struct hone_reader *r = container_of(sink, struct hone_reader, sink);

	if (ev->type == HONE_EV_PKT && READ_ONCE(r->filter_set) &&
	    ev->pkt.has_sock && ev->pkt.sock_id == READ_ONCE(r->filter_id)) {
		atomic64_inc(&r->pkt_filtered);
		return;
	}
	if (!hone_ring_push(&r->ring, hone_event_get(ev))) {
		hone_event_put(ev);
		count(r, ev, false);
		return;
	}
	if (wq_has_sleeper(&r->wq))
		irq_work_queue(&r->wake);
}

static void wake_reader(struct irq_work *work)
{
	struct hone_reader *r = container_of(work, struct hone_reader, wake);

	wake_up_interruptible(&r->wq);
}

static void drop_snapshot(struct hone_reader *r)
{
	struct hone_event *ev, *next;

	list_for_each_entry_safe(ev, next, &r->snap, snap) {
		list_del(&ev->snap);
		hone_event_put(ev);
	}
}

static int next_snapshot(struct hone_reader *r)
{
	struct hone_event *ev;
	int err;

	ev = list_first_entry_or_null(&r->snap, struct hone_event, snap);
	if (!ev) {
		r->state = HONE_RS_LIVE;
		return -EAGAIN;
	}
	list_del(&ev->snap);
	err = r->fmt->event(r, &r->out, ev);
	hone_event_put(ev);
	return err;
}

static int next_live(struct hone_reader *r)
{
	struct hone_event *ev;
	int err;

	if (test_and_clear_bit(HONE_RF_RESTART, &r->flags)) {
		drop_snapshot(r);
		r->state = HONE_RS_TAIL;
		return r->fmt->tail(r, &r->out);
	}
	if (test_and_clear_bit(HONE_RF_HEADERS, &r->flags))
		return r->fmt->head(r, &r->out);
	if (r->state == HONE_RS_SNAP && next_snapshot(r) != -EAGAIN)
		return 0;
	ev = hone_ring_pop(&r->ring);
	if (!ev)
		return -EAGAIN;
	err = r->fmt->event(r, &r->out, ev);
	count(r, ev, true);
	hone_event_put(ev);
	return err;
}

/* Formats the next record into r->out; -EAGAIN if there is none yet. */
static int next_record(struct hone_reader *r)
{
	int err;

	r->out.len = 0;
	r->out.pos = 0;
	if (r->state != HONE_RS_HEAD)
		return next_live(r);
	clear_bit(HONE_RF_HEADERS, &r->flags);
	err = r->fmt->head(r, &r->out);
	if (err)
		return err;
	r->state = HONE_RS_SNAP;
	/*
	 * Live events start just before the first snapshot: a socket opened
	 * meanwhile may be listed twice, but nothing falls between the two.
	 */
	if (!r->attached) {
		hone_sink_add(&r->sink);
		r->attached = true;
	}
	if (!test_bit(HONE_RF_RESTART, &r->flags))
		hone_snapshot_build(&r->snap);
	return 0;
}

static bool readable(struct hone_reader *r)
{
	return READ_ONCE(r->out.pos) < READ_ONCE(r->out.len) ||
	       READ_ONCE(r->state) != HONE_RS_LIVE ||
	       READ_ONCE(r->flags) || !hone_ring_empty(&r->ring);
}

static int copy_out(struct hone_reader *r, char __user *buf, size_t count,
		    size_t *done)
{
	size_t n = min(count - *done, r->out.len - r->out.pos);

	if (copy_to_user(buf + *done, r->out.data + r->out.pos, n))
		return -EFAULT;
	r->out.pos += n;
	*done += n;
	return 0;
}

/* Returns 0 with the lock held, or an error without it. */
static int wait_record(struct hone_reader *r, struct file *file)
{
	int err;

	mutex_unlock(&r->lock);
	if (file->f_flags & O_NONBLOCK)
		return -EAGAIN;
	err = wait_event_interruptible(r->wq, readable(r));
	if (err)
		return err;
	return mutex_lock_interruptible(&r->lock);
}

/*
 * A blocking read that has copied nothing yet gives way to a pending
 * signal, even with records waiting (they stay queued). Otherwise a signal
 * that comes with an event ends the wait as a wake-up, the read returns
 * the event and a caller looping on read() blocks again, its handler run.
 */
static bool interrupted(struct file *file, size_t done)
{
	return !done && !(file->f_flags & O_NONBLOCK) &&
	       signal_pending(current);
}

static ssize_t read_section(struct hone_reader *r, struct file *file,
			    char __user *buf, size_t count)
{
	size_t done = 0;
	int err = 0;

	while (done < count) {
		if (interrupted(file, done)) {
			err = -ERESTARTSYS;
			break;
		}
		if (r->out.pos < r->out.len) {
			err = copy_out(r, buf, count, &done);
			if (err)
				break;
			if (r->out.pos == r->out.len &&
			    r->state == HONE_RS_TAIL) {
				r->state = HONE_RS_EOF;
				break;
			}
			continue;
		}
		err = next_record(r);
		if (err == -EAGAIN && !done) {
			err = wait_record(r, file);
			if (err)
				return err;	/* the lock is not held */
			continue;
		}
		if (err)
			break;
	}
	mutex_unlock(&r->lock);
	return done ? done : err;
}

static ssize_t hone_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	struct hone_reader *r = file->private_data;

	if (mutex_lock_interruptible(&r->lock))
		return -ERESTARTSYS;
	if (r->state == HONE_RS_EOF ||
	    (test_bit(HONE_RF_DYING, &r->flags) && r->state == HONE_RS_HEAD)) {
		if (!test_bit(HONE_RF_DYING, &r->flags))
			r->state = HONE_RS_HEAD;
		mutex_unlock(&r->lock);
		return 0;
	}
	if (!count) {
		mutex_unlock(&r->lock);
		return 0;
	}
	return read_section(r, file, buf, count);
}

static __poll_t hone_poll(struct file *file, poll_table *wait)
{
	struct hone_reader *r = file->private_data;

	poll_wait(file, &r->wq, wait);
	return readable(r) ? EPOLLIN | EPOLLRDNORM : 0;
}

static int set_filter(struct hone_reader *r, int fd)
{
	struct socket *sock;
	int err;

	if (fd == -1) {
		WRITE_ONCE(r->filter_set, false);
		return 0;
	}
	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	err = -EINVAL;
	if (sock->sk) {
		WRITE_ONCE(r->filter_id, hone_sock_id(sock->sk));
		WRITE_ONCE(r->filter_set, true);
		err = 0;
	}
	sockfd_put(sock);
	return err;
}

static long reader_ioctl(struct hone_reader *r, unsigned int cmd,
			 unsigned long arg)
{
	struct hone_stats st;

	switch (cmd) {
	case HEIO_RESTART:
		set_bit(HONE_RF_RESTART, &r->flags);
		wake_up_interruptible(&r->wq);
		return 0;
	case HEIO_GET_AT_HEAD:
		return r->state == HONE_RS_HEAD;
	case HEIO_GET_SNAPLEN:
		return put_user(r->snaplen, (int __user *)arg);
	case HEIO_SET_SNAPLEN:
		if ((int)arg < 0)
			return -EINVAL;
		r->snaplen = (int)arg;
		set_bit(HONE_RF_HEADERS, &r->flags);
		wake_up_interruptible(&r->wq);
		return 0;
	case HEIO_SET_FILTER_SOCK:
		return set_filter(r, (int)arg);
	case HEIO_GET_STATS:
		hone_reader_stats(r, &st);
		return copy_to_user((void __user *)arg, &st, sizeof(st)) ?
		       -EFAULT : 0;
	}
	return -EINVAL;
}

static long hone_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hone_reader *r = file->private_data;
	long ret;

	if (_IOC_TYPE(cmd) != HEIO_TYPE)
		return -EINVAL;
	if (mutex_lock_interruptible(&r->lock))
		return -ERESTARTSYS;
	ret = reader_ioctl(r, cmd, arg);
	mutex_unlock(&r->lock);
	return ret;
}

static struct hone_reader *reader_new(unsigned int minor)
{
	unsigned int order = READ_ONCE(hone_pageorder);
	struct hone_reader *r;

	if (order > HONE_MAX_PAGEORDER)
		return ERR_PTR(-EINVAL);
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	if (hone_ring_init(&r->ring, order)) {
		kfree(r);
		return ERR_PTR(-ENOMEM);
	}
	r->fmt = minor ? &hone_text_format : &hone_pcapng_format;
	r->sink.deliver = deliver;
	mutex_init(&r->lock);
	init_waitqueue_head(&r->wq);
	init_irq_work(&r->wake, wake_reader);
	INIT_LIST_HEAD(&r->snap);
	r->snaplen = max(READ_ONCE(hone_snaplen), 0);
	r->open_ns = ktime_get_ns();
	r->boot_ns = ktime_get_real_ns() - r->open_ns;
	r->state = HONE_RS_HEAD;
	return r;
}

static void reader_free(struct hone_reader *r)
{
	struct hone_event *ev;

	while ((ev = hone_ring_pop(&r->ring)))
		hone_event_put(ev);
	drop_snapshot(r);
	hone_ring_free(&r->ring);
	kvfree(r->out.data);
	kfree(r);
}

static int hone_open(struct inode *inode, struct file *file)
{
	struct hone_reader *r;

	if ((file->f_flags & O_ACCMODE) != O_RDONLY)
		return -EINVAL;
	r = reader_new(iminor(inode));
	if (IS_ERR(r))
		return PTR_ERR(r);
	file->private_data = r;
	mutex_lock(&readers_lock);
	list_add_tail(&r->node, &readers);
	atomic_inc(&nreaders);
	mutex_unlock(&readers_lock);
	/* The cdev's and the fops' references; see the top of this file. */
	module_put(THIS_MODULE);
	module_put(THIS_MODULE);
	return stream_open(inode, file);
}

static int hone_release(struct inode *inode, struct file *file)
{
	struct hone_reader *r = file->private_data;

	__module_get(THIS_MODULE);
	__module_get(THIS_MODULE);
	if (r->attached)
		hone_sink_del(&r->sink);
	irq_work_sync(&r->wake);
	mutex_lock(&readers_lock);
	list_del(&r->node);
	mutex_unlock(&readers_lock);
	reader_free(r);
	if (atomic_dec_and_test(&nreaders))
		wake_up(&unload_wq);
	return 0;
}

static const struct file_operations hone_fops = {
	.owner = THIS_MODULE,
	.open = hone_open,
	.release = hone_release,
	.read = hone_read,
	.poll = hone_poll,
	.unlocked_ioctl = hone_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* End every section and wait until all readers have closed. */
static void end_readers(void)
{
	struct hone_reader *r;

	mutex_lock(&readers_lock);
	list_for_each_entry(r, &readers, node) {
		set_bit(HONE_RF_DYING, &r->flags);
		set_bit(HONE_RF_RESTART, &r->flags);
		wake_up_interruptible(&r->wq);
	}
	mutex_unlock(&readers_lock);
	while (!wait_event_timeout(unload_wq, !atomic_read(&nreaders), 30 * HZ))
		pr_warn("unload waits for %d reader(s) to close\n",
			atomic_read(&nreaders));
	while (!hone_module_unused(THIS_MODULE))
		usleep_range(1000, 2000);
	synchronize_rcu();
}

static char *hone_devnode(HONE_DEVNODE_CONST struct device *dev,
			  umode_t *mode)
{
	if (mode)
		*mode = 0400;
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

int hone_readers_init(const char *devname, int *major)
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

void hone_readers_uninit(void)
{
	device_destroy(class, devt + 1);
	device_destroy(class, devt);
	class_destroy(class);
	cdev_del(cdev);
	end_readers();
	unregister_chrdev_region(devt, 2);
}
