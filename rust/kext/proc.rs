// SPDX-License-Identifier: GPL-2.0

//! Per-namespace `/proc/net` files backed by `seq_file`.
//!
//! A file's content is described by a [`SeqIter`]: a cursor that `start`s at
//! a record position, `show`s the record it is on and moves to the `next`
//! one. The cursor lives in the `seq_file`'s private area between `start` and
//! `stop`, so a large table is written page by page without building it in
//! memory, as `seq_file` intends. [`SeqFile`] implements [`core::fmt::Write`],
//! so records are formatted with `write!` straight into the seq buffer.
//!
//! C reference: fs/proc/proc_net.c (`proc_create_net_data()`),
//! include/linux/seq_file.h, include/linux/seq_file_net.h.

use super::bindings;
use super::net::Net;
use core::ffi::c_void;
use core::fmt;
use core::mem::MaybeUninit;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::Opaque;

/// A `seq_file` being filled by a read.
///
/// # Invariants
///
/// Wraps a live `seq_file` inside one of its seq operations.
#[repr(transparent)]
pub(crate) struct SeqFile(Opaque<bindings::seq_file>);

impl SeqFile {
    /// # Safety
    ///
    /// `ptr` is a live `seq_file` for `'a`, used only by this thread meanwhile
    /// (true inside seq operations, which run under the file's mutex).
    unsafe fn from_raw<'a>(ptr: *mut bindings::seq_file) -> &'a mut SeqFile {
        // CAST: `SeqFile` is a transparent wrapper of `seq_file`.
        // SAFETY: Per the function's contract.
        unsafe { &mut *ptr.cast::<SeqFile>() }
    }
}

impl fmt::Write for SeqFile {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: By the type invariant the seq_file is live; `s` is valid for
        // `s.len()` bytes. On overflow `seq_write` marks the buffer full and
        // seq_file retries the record with a larger buffer, so the return
        // value needs no handling here.
        unsafe { bindings::seq_write(self.0.get(), s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

/// The content of a seq_file-backed proc file, as a cursor over records.
///
/// A cursor lives from `start` to `stop` within one `read()` (so it may hold
/// an RCU read lock); `State` persists across reads of the same open file,
/// so the next `start` can resume where the last read stopped.
pub(crate) trait SeqIter: Sized {
    /// Data the file shows (per-namespace state, shared with the registration).
    type Data: Send + Sync + 'static;

    /// Per-open-file state kept between reads.
    type State: Copy + Default;

    /// A cursor on record `pos`, or `None` if there is no such record.
    fn start(data: &Self::Data, state: &mut Self::State, pos: u64) -> Option<Self>;

    /// Moves to the next record; `false` when there is none.
    fn next(&mut self, data: &Self::Data, state: &mut Self::State) -> bool;

    /// Writes the current record.
    fn show(&self, data: &Self::Data, m: &mut SeqFile) -> fmt::Result;
}

/// The seq_file private area (`state_size` bytes, zeroed by `seq_open_net`).
#[repr(C)]
struct Private<C: SeqIter> {
    /// Must come first: `seq_file_net()` reads it.
    net: bindings::seq_net_private,
    live: bool,
    has_state: bool,
    state: MaybeUninit<C::State>,
    cursor: MaybeUninit<C>,
}

impl<C: SeqIter> Private<C> {
    fn state(&mut self) -> &mut C::State {
        if !self.has_state {
            self.state.write(C::State::default());
            self.has_state = true;
        }
        // SAFETY: Initialised above or by an earlier call (`has_state`).
        unsafe { self.state.assume_init_mut() }
    }
}

struct Adapter<C: SeqIter>(core::marker::PhantomData<C>);

impl<C: SeqIter> Adapter<C> {
    const OPS: bindings::seq_operations = bindings::seq_operations {
        start: Some(Self::start_callback),
        stop: Some(Self::stop_callback),
        next: Some(Self::next_callback),
        show: Some(Self::show_callback),
    };

    /// The file's data and private area.
    ///
    /// # Safety
    ///
    /// `m` is a live seq_file of a file created by [`ProcEntry::new`] for
    /// `C`, inside a seq operation (so the proc entry, and the data it keeps
    /// alive, are not removed meanwhile).
    unsafe fn parts<'a>(m: *mut bindings::seq_file) -> (&'a C::Data, &'a mut Private<C>) {
        // SAFETY: Per the function's contract `m` and its file are live.
        let inode = unsafe { bindings::rct_helper_file_inode((*m).file) };
        // SAFETY: `inode` is the proc inode of our entry; its PDE data is the
        // `Arc<C::Data>` pointer `ProcEntry::new` passed, alive while the entry is.
        let data = unsafe { &*bindings::rct_helper_pde_data(inode).cast::<C::Data>() };
        // SAFETY: `seq_open_net` allocated `size_of::<Private<C>>()` zeroed,
        // suitably aligned bytes (kzalloc) as `private`; all-zero is a valid
        // `Private<C>` (`live` and `has_state` false, the rest
        // uninitialised). `State: Copy` needs no drop when the area is freed. seq operations
        // of one file are serialised by its mutex, so the access is exclusive.
        let private = unsafe { &mut *(*m).private.cast::<Private<C>>() };
        (data, private)
    }

    fn drop_cursor(p: &mut Private<C>) {
        if p.live {
            p.live = false;
            // SAFETY: `live` was true, so the cursor is initialised; it is
            // marked dead first so it is dropped once.
            unsafe { p.cursor.assume_init_drop() };
        }
    }

    /// # Safety
    ///
    /// Only called by seq_file as `seq_operations::start` for our file, with a
    /// valid `pos`.
    unsafe extern "C" fn start_callback(
        m: *mut bindings::seq_file,
        pos: *mut bindings::loff_t,
    ) -> *mut c_void {
        // SAFETY: Per the function's contract.
        let (data, p) = unsafe { Self::parts(m) };
        Self::drop_cursor(p);
        // SAFETY: `pos` is valid for reads per the function's contract.
        let Ok(pos) = u64::try_from(unsafe { *pos }) else {
            return core::ptr::null_mut();
        };
        match C::start(data, p.state(), pos) {
            Some(c) => {
                p.cursor.write(c);
                p.live = true;
                p.cursor.as_mut_ptr().cast()
            }
            None => core::ptr::null_mut(),
        }
    }

    /// # Safety
    ///
    /// Only called by seq_file as `seq_operations::next` for our file, after a
    /// `start` that returned a cursor, with a valid `pos`.
    unsafe extern "C" fn next_callback(
        m: *mut bindings::seq_file,
        _v: *mut c_void,
        pos: *mut bindings::loff_t,
    ) -> *mut c_void {
        // SAFETY: `pos` is valid per the function's contract; seq_file requires
        // `next` to advance it even at the end.
        unsafe { *pos = (*pos).wrapping_add(1) };
        // SAFETY: Per the function's contract.
        let (data, p) = unsafe { Self::parts(m) };
        if !p.live {
            return core::ptr::null_mut();
        }
        let mut state = *p.state();
        // SAFETY: `live` means the cursor is initialised.
        let c = unsafe { p.cursor.assume_init_mut() };
        let more = c.next(data, &mut state);
        *p.state() = state;
        if more {
            p.cursor.as_mut_ptr().cast()
        } else {
            Self::drop_cursor(p);
            core::ptr::null_mut()
        }
    }

    /// # Safety
    ///
    /// Only called by seq_file as `seq_operations::stop` for our file.
    unsafe extern "C" fn stop_callback(m: *mut bindings::seq_file, _v: *mut c_void) {
        // SAFETY: Per the function's contract.
        let (_, p) = unsafe { Self::parts(m) };
        Self::drop_cursor(p);
    }

    /// # Safety
    ///
    /// Only called by seq_file as `seq_operations::show` for our file, with
    /// the cursor pointer `start`/`next` returned.
    unsafe extern "C" fn show_callback(m: *mut bindings::seq_file, _v: *mut c_void) -> i32 {
        // SAFETY: Per the function's contract.
        let (data, p) = unsafe { Self::parts(m) };
        if !p.live {
            return 0;
        }
        // SAFETY: `live` means the cursor is initialised.
        let c = unsafe { p.cursor.assume_init_ref() };
        // SAFETY: `m` is live and exclusively ours inside the seq operation.
        let out = unsafe { SeqFile::from_raw(m) };
        // A formatting error cannot come from `SeqFile` (overflow is handled
        // by seq_file itself); print it into the file rather than failing the read.
        if c.show(data, out).is_err() {
            let _ = fmt::Write::write_str(out, "<format error>\n");
        }
        0
    }
}

/// Which `/proc/net` directory a file goes in.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ProcDir {
    /// `/proc/net`.
    Net,
    /// `/proc/net/stat`.
    NetStat,
}

/// A registered per-namespace proc file; removed on drop.
///
/// # Invariants
///
/// `pde` is a live proc entry whose PDE data points into `data`.
pub(crate) struct ProcEntry<C: SeqIter> {
    pde: *mut bindings::proc_dir_entry,
    _data: Arc<C::Data>,
}

// SAFETY: The entry pointer is only used to remove it, from any thread.
unsafe impl<C: SeqIter> Send for ProcEntry<C> {}
// SAFETY: `&ProcEntry` exposes nothing.
unsafe impl<C: SeqIter> Sync for ProcEntry<C> {}

impl<C: SeqIter> ProcEntry<C> {
    /// Creates `/proc/net[/stat]/<name>` with permissions `mode` in `net`,
    /// showing `data` through `C`. With `net_root_owned`, the file belongs to
    /// root of the namespace's user namespace (as nf_conntrack's table, mode
    /// 0440: only that root can read the connections).
    ///
    /// # Safety
    ///
    /// The entry is dropped before `net` is freed (for example, it is owned
    /// by `net`'s [`super::net::Pernet`] state).
    pub(crate) unsafe fn new(
        net: &Net,
        dir: ProcDir,
        name: &'static CStr,
        mode: u16,
        net_root_owned: bool,
        data: Arc<C::Data>,
    ) -> Result<Self> {
        build_assert!(core::mem::align_of::<Private<C>>() <= 8);
        // SAFETY: `net` is live.
        let parent = unsafe {
            match dir {
                ProcDir::Net => (*net.as_ptr()).proc_net,
                ProcDir::NetStat => (*net.as_ptr()).proc_net_stat,
            }
        };
        let raw = (&*data as *const C::Data).cast_mut().cast::<c_void>();
        // SAFETY: `name` is a static NUL-terminated string; `OPS` is a
        // promoted constant (static storage); `parent` belongs to the live
        // `net`; `raw` stays valid while `self` holds `data`.
        let pde = unsafe {
            bindings::proc_create_net_data(
                name.as_char_ptr(),
                mode,
                parent,
                &Adapter::<C>::OPS,
                core::mem::size_of::<Private<C>>() as u32,
                raw,
            )
        };
        if pde.is_null() {
            return Err(ENOMEM);
        }
        if net_root_owned {
            // SAFETY: `pde` was just created; `net` is live.
            unsafe { bindings::rct_helper_proc_set_net_root(pde, net.as_ptr()) };
        }
        // INVARIANT: Created above with `data` as PDE data.
        Ok(Self { pde, _data: data })
    }
}

impl<C: SeqIter> Drop for ProcEntry<C> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `pde` is live. `proc_remove` waits for
        // running seq operations to finish and makes later reads fail, so
        // `data` is unused once it returns.
        unsafe { bindings::proc_remove(self.pde) };
    }
}
