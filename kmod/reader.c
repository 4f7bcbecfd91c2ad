// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * The readers of /dev/hone (minor 0, PCAP-NG) and /dev/honet (minor 1,
 * text): each open is an independent reader with a ring per CPU, its own
 * snaplen, socket filter, wakeup policy and counters. At most
 * max_readers are open at once; the next open fails with EBUSY.
 *
 * HEIO_RESTART and HEIO_SET_SNAPLEN put a mark in every ring, taken on
 * each CPU between two of its records (an IPI runs with interrupts off,
 * as the writers do): read() ends the section, or writes new headers,
 * once it has read every ring up to its mark.
 *
 * An open reader pins the module (the file's reference): rmmod is refused
 * at once ("in use") until every reader has closed, never left waiting.
 */
#include <linux/module.h>
#include <linux/cpu.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>

#include "reader.h"
#include "compat.h"

static atomic_t nreaders = ATOMIC_INIT(0);

/* --- rings --- */

/* The packet bytes a ring keeps: the snaplen, or the headers for text. */
static u32 caplen_for(const struct hone_reader *r, int snaplen)
{
	if (r->text)
		return HONE_TEXT_CAPLEN;
	return snaplen > 0 ? snaplen : HONE_CAPLEN_MAX;
}


static void free_ring_array(struct hone_ring **rings)
{
	int cpu;

	if (!rings)
		return;
	for_each_possible_cpu(cpu) {
		if (!rings[cpu])
			continue;
		hone_ring_free(rings[cpu]);
		kfree(rings[cpu]);
	}
	kfree(rings);
}

static void free_rings(struct hone_reader *r)
{
	free_ring_array(r->rings);
	r->rings = NULL;
}

/* Before the reader is attached: no ring has a writer yet. */
static void set_caplen(struct hone_reader *r)
{
	int cpu;

	for_each_possible_cpu(cpu)
		r->rings[cpu]->caplen = caplen_for(r, r->snaplen);
}

static int alloc_rings(struct hone_reader *r, unsigned int order)
{
	int cpu, err;

	r->rings = kcalloc(nr_cpu_ids, sizeof(*r->rings), GFP_KERNEL);
	if (!r->rings)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		r->rings[cpu] = kzalloc(sizeof(*r->rings[cpu]), GFP_KERNEL);
		if (!r->rings[cpu])
			goto err_rings;
		err = hone_ring_init(r->rings[cpu], cpu, order);
		if (err)
			goto err_rings;
	}
	r->order = order;
	r->watermark = r->rings[cpumask_first(cpu_possible_mask)]->size / 4;
	return 0;

err_rings:
	free_rings(r);
	return -ENOMEM;
}

/* --- marks --- */

struct mark_args {
	struct hone_reader *r;
	int mark;
	u32 caplen;
};

/* On each CPU with interrupts off: no record of this CPU is half written. */
static void mark_cpu(void *data)
{
	const struct mark_args *a = data;
	int cpu = smp_processor_id();
	struct hone_ring *ring = a->r->rings[cpu];

	a->r->mark_pos[cpu] = ring->meta->prod;
	ring->caplen = a->caplen;
	if (a->mark != HONE_MARK_RESTART)
		return;
	ring->meta->section_end = ring->meta->prod;
	ring->meta->flags |= HONE_META_ENDING;
}

static void set_mark(struct hone_reader *r, int mark)
{
	struct mark_args a = {
		.r = r,
		.mark = mark,
		.caplen = caplen_for(r, r->next_snaplen),
	};
	unsigned long flags;
	int cpu;

	cpus_read_lock();
	on_each_cpu(mark_cpu, &a, 1);
	for_each_possible_cpu(cpu) {
		if (cpu_online(cpu))
			continue;
		local_irq_save(flags);
		r->mark_pos[cpu] = r->rings[cpu]->meta->prod;
		r->rings[cpu]->caplen = a.caplen;
		local_irq_restore(flags);
	}
	cpus_read_unlock();
	WRITE_ONCE(r->mark, mark);
	wake_up_interruptible(&r->wq);
}

/* Before the first read there is nothing to mark. */
static int restart(struct hone_reader *r)
{
	if (r->state == HONE_RS_HEAD || r->state == HONE_RS_EOF)
		return 0;
	if (r->mark == HONE_MARK_RESTART)
		return 0;
	r->next_snaplen = r->snaplen;
	set_mark(r, HONE_MARK_RESTART);
	return 0;
}

/*
 * Packets written from the mark on are cut to the new snaplen, and new
 * headers come before them. Before the section starts, only the headers
 * to come change (packets queued meanwhile keep their length).
 */
static int set_snaplen(struct hone_reader *r, int snaplen)
{
	int cpu;

	if (snaplen < 0)
		return -EINVAL;
	if (r->mark)
		return -EBUSY;
	r->next_snaplen = snaplen;
	if (r->state == HONE_RS_LIVE || r->state == HONE_RS_SNAP) {
		set_mark(r, HONE_MARK_HEADERS);
		return 0;
	}
	r->snaplen = snaplen;
	for_each_possible_cpu(cpu)
		WRITE_ONCE(r->rings[cpu]->caplen, caplen_for(r, snaplen));
	return 0;
}

/* --- ioctls --- */

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

static int set_ring_order(struct hone_reader *r, int order)
{
	struct hone_ring **old;
	unsigned int old_order;

	if (order < HONE_MIN_PAGEORDER || order > HONE_MAX_PAGEORDER)
		return -EINVAL;
	mutex_lock(&r->map_lock);
	if (r->attached || r->mmapped) {
		mutex_unlock(&r->map_lock);
		return -EBUSY;
	}
	old = r->rings;
	old_order = r->order;
	r->rings = NULL;
	if (alloc_rings(r, order)) {
		r->rings = old;
		r->order = old_order;
		mutex_unlock(&r->map_lock);
		return -ENOMEM;
	}
	mutex_unlock(&r->map_lock);
	free_ring_array(old);
	set_caplen(r);
	return 0;
}

static int set_wakeup(struct hone_reader *r, const void __user *arg)
{
	struct hone_wakeup w;
	u32 size = r->rings[cpumask_first(cpu_possible_mask)]->size;

	if (copy_from_user(&w, arg, sizeof(w)))
		return -EFAULT;
	if (w.flush_ms > HONE_MAX_FLUSH_MS || w.watermark > size)
		return -EINVAL;
	if (w.watermark)
		WRITE_ONCE(r->watermark, w.watermark);
	WRITE_ONCE(r->flush_ms, w.flush_ms);
	wake_up_interruptible(&r->wq);
	return 0;
}

static int get_wakeup(struct hone_reader *r, void __user *arg)
{
	struct hone_wakeup w = {
		.watermark = r->watermark,
		.flush_ms = r->flush_ms,
	};

	return copy_to_user(arg, &w, sizeof(w)) ? -EFAULT : 0;
}

static int get_ring_info(struct hone_reader *r, void __user *arg)
{
	const struct hone_ring *ring = r->rings[cpumask_first(cpu_possible_mask)];
	struct hone_ring_info info = {
		.nrings = nr_cpu_ids,
		.size = ring->size,
		.page_size = PAGE_SIZE,
		.reserve = ring->reserve,
		.stride = hone_ring_map_pages(ring) * PAGE_SIZE,
	};

	if (r->text)
		return -ENODEV;
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int ring_consume(struct hone_reader *r, const void __user *arg)
{
	struct hone_ring_consume c;
	int err, cpu;

	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	if (!READ_ONCE(r->mmapped) || c.ring >= nr_cpu_ids || !cpu_possible(c.ring))
		return -EINVAL;
	err = hone_ring_set_cons(r->rings[c.ring], c.pos);
	if (err)
		return err;
	for_each_possible_cpu(cpu)
		if (hone_ring_unread(r->rings[cpu]))
			return 0;
	clear_bit(HONE_WF_FLUSH, &r->wake_flags);
	return 0;
}

static long reader_ioctl(struct hone_reader *r, unsigned int cmd,
			 unsigned long arg)
{
	void __user *p = (void __user *)arg;
	struct hone_stats st;

	switch (cmd) {
	case HEIO_RESTART:
		return restart(r);
	case HEIO_GET_AT_HEAD:
		return r->state == HONE_RS_HEAD;
	case HEIO_GET_SNAPLEN:
		return put_user(r->snaplen, (int __user *)p);
	case HEIO_SET_SNAPLEN:
		return set_snaplen(r, (int)arg);
	case HEIO_SET_FILTER_SOCK:
		return set_filter(r, (int)arg);
	case HEIO_GET_STATS:
		hone_reader_stats(r, &st);
		return copy_to_user(p, &st, sizeof(st)) ? -EFAULT : 0;
	case HEIO_SET_RING_ORDER:
		return set_ring_order(r, (int)arg);
	case HEIO_GET_WAKEUP:
		return get_wakeup(r, p);
	case HEIO_SET_WAKEUP:
		return set_wakeup(r, p);
	case HEIO_GET_RING_INFO:
		return get_ring_info(r, p);
	case HEIO_RING_CONSUME:
		return ring_consume(r, p);
	}
	return -ENOTTY;
}

static long hone_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hone_reader *r = file->private_data;
	long ret;

	if (_IOC_TYPE(cmd) != HEIO_TYPE)
		return -ENOTTY;
	/*
	 * Sockets whose memory is freed after an RCU grace period (ping,
	 * raw, UDP, listeners) are reported closed when that callback runs:
	 * wait for the callbacks queued so far, so that a socket freed before
	 * the section's end is closed in it.
	 */
	if (cmd == HEIO_RESTART)
		rcu_barrier();
	if (mutex_lock_interruptible(&r->lock))
		return -ERESTARTSYS;
	ret = reader_ioctl(r, cmd, arg);
	mutex_unlock(&r->lock);
	return ret;
}

/* --- file operations --- */

static ssize_t hone_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	struct hone_reader *r = file->private_data;

	if (mutex_lock_interruptible(&r->lock))
		return -ERESTARTSYS;
	if (r->state == HONE_RS_EOF) {
		r->state = HONE_RS_HEAD;
		mutex_unlock(&r->lock);
		return 0;
	}
	if (!count) {
		mutex_unlock(&r->lock);
		return 0;
	}
	return hone_stream_read(r, file, buf, count);
}

static __poll_t hone_poll(struct file *file, poll_table *wait)
{
	struct hone_reader *r = file->private_data;

	poll_wait(file, &r->wq, wait);
	if (hone_stream_ready(r))
		return EPOLLIN | EPOLLRDNORM;
	hone_stream_arm_flush(r);
	return 0;
}

/* One read-only mapping of some or all rings (struct hone_ring_info). */
static int hone_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct hone_reader *r = file->private_data;
	unsigned long first = vma->vm_pgoff, n = vma_pages(vma), per, k;
	unsigned long addr = vma->vm_start;
	int err = 0, cpu;

	if (r->text)
		return -ENODEV;
	if (vma->vm_flags & VM_WRITE)
		return -EPERM;
	hone_vma_no_write(vma);
	mutex_lock(&r->map_lock);
	per = hone_ring_map_pages(r->rings[cpumask_first(cpu_possible_mask)]);
	if (first + n < first || first + n > nr_cpu_ids * per) {
		err = -EINVAL;
		goto out;
	}
	for (; n && !err; first += k, n -= k, addr += k * PAGE_SIZE) {
		cpu = first / per;
		k = min(n, per - first % per);
		err = cpu_possible(cpu) ?
		      hone_ring_map(r->rings[cpu], vma, addr, first % per, k) :
		      -EINVAL;
	}
	if (!err)
		WRITE_ONCE(r->mmapped, true);
out:
	mutex_unlock(&r->map_lock);
	return err;
}

static struct hone_reader *reader_new(unsigned int minor)
{
	unsigned int order = READ_ONCE(hone_pageorder);
	struct hone_reader *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return NULL;
	r->mark_pos = kcalloc(nr_cpu_ids, sizeof(*r->mark_pos), GFP_KERNEL);
	if (!r->mark_pos || alloc_rings(r, order)) {
		kfree(r->mark_pos);
		kfree(r);
		return NULL;
	}
	r->text = minor == 1;
	r->sink.deliver = hone_reader_deliver;
	mutex_init(&r->lock);
	mutex_init(&r->map_lock);
	init_waitqueue_head(&r->wq);
	init_irq_work(&r->wake, hone_reader_wake);
	INIT_DELAYED_WORK(&r->flush, hone_reader_flush);
	INIT_LIST_HEAD(&r->snap);
	r->flush_ms = READ_ONCE(hone_flush_ms);
	r->snaplen = max(READ_ONCE(hone_snaplen), 0);
	r->next_snaplen = r->snaplen;
	set_caplen(r);
	r->open_ns = ktime_get_ns();
	/* The wall clock of monotonic zero, in one read (no race between two). */
	r->boot_ns = ktime_to_ns(ktime_mono_to_real(0));
	r->state = HONE_RS_HEAD;
	return r;
}

static void reader_free(struct hone_reader *r)
{
	hone_snapshot_drop(r);
	free_rings(r);
	kvfree(r->out.data);
	kvfree(r->enc.data);
	kfree(r->mark_pos);
	kfree(r);
}

static int hone_open(struct inode *inode, struct file *file)
{
	struct hone_reader *r;
	int err;

	if ((file->f_flags & O_ACCMODE) != O_RDONLY)
		return -EINVAL;
	err = hone_may_open(inode);
	if (err)
		return err;
	if (atomic_inc_return(&nreaders) > READ_ONCE(hone_max_readers)) {
		atomic_dec(&nreaders);
		return -EBUSY;
	}
	r = reader_new(iminor(inode));
	if (!r) {
		atomic_dec(&nreaders);
		return -ENOMEM;
	}
	file->private_data = r;
	return stream_open(inode, file);
}

static int hone_release(struct inode *inode, struct file *file)
{
	struct hone_reader *r = file->private_data;

	if (r->attached)
		hone_sink_del(&r->sink);
	/* No writer is left; what they queued runs, then stays stopped. */
	irq_work_sync(&r->wake);
	cancel_delayed_work_sync(&r->flush);
	reader_free(r);
	atomic_dec(&nreaders);
	return 0;
}

const struct file_operations hone_fops = {
	.owner = THIS_MODULE,
	.open = hone_open,
	.release = hone_release,
	.read = hone_read,
	.poll = hone_poll,
	.mmap = hone_mmap,
	.unlocked_ioctl = hone_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};
