//! Maximum quantity per cart line: a sample extension in Rust (std only).
//!
//! A pre-trigger on `AddCartLinesRequest` refuses any line whose `Quantity` is above the
//! `maxQuantity` of the config block (default 10), before the cart changes.
//!
//! The ABI types below mirror `SDK/include/commerce_sdk.h` by hand; keep them in that order.

use std::ffi::c_void;
use std::os::raw::c_char;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

type Status = i32;
const OK: Status = 0;
const INVALID: Status = 1;
const FAILED: Status = 6;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Str {
    data: *const c_char,
    length: usize,
}

impl Str {
    const fn from_static(text: &'static str) -> Str {
        Str { data: text.as_ptr() as *const c_char, length: text.len() }
    }

    /// The borrowed bytes; valid only during the callback that received them.
    unsafe fn bytes<'a>(self) -> &'a [u8] {
        if self.data.is_null() || self.length == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(self.data as *const u8, self.length)
        }
    }
}

#[repr(C)]
pub struct Info {
    size: u32,
    abi_major: u16,
    abi_minor: u16,
    name: Str,
    version: Str,
    swift_toolchain: Str,
    manifest_json: Str,
}

// The info is read by the host from any thread; it is immutable.
unsafe impl Sync for Info {}

type PreTrigger = unsafe extern "C" fn(*mut c_void, *mut c_void, Str) -> Status;

#[repr(C)]
pub struct TriggerRegistration {
    size: u32,
    request_type: Str,
    pre: Option<PreTrigger>,
    post: *const c_void,
    user_data: *mut c_void,
}

/// The host function table, up to the members this extension uses (the host's is longer).
#[repr(C)]
pub struct HostApi {
    size: u32,
    abi_major: u16,
    abi_minor: u16,
    get_function: *const c_void,
    register_handler: *const c_void,
    register_trigger: unsafe extern "C" fn(*mut c_void, *const TriggerRegistration) -> Status,
    register_operation: *const c_void,
    register_migration: *const c_void,
    init_set_error: unsafe extern "C" fn(*mut c_void, Str),
    buffer_append: *const c_void,
    call_buffer: *const c_void,
    buffer_view: *const c_void,
    call_set_error: unsafe extern "C" fn(*mut c_void, Str),
}

static INFO: Info = Info {
    size: std::mem::size_of::<Info>() as u32,
    abi_major: 1,
    abi_minor: 1,
    name: Str::from_static("max_quantity"),
    version: Str::from_static("1.0.0"),
    swift_toolchain: Str { data: std::ptr::null(), length: 0 },
    manifest_json: Str { data: std::ptr::null(), length: 0 },
};

static API: AtomicPtr<HostApi> = AtomicPtr::new(std::ptr::null_mut());
static MAX_QUANTITY: AtomicU64 = AtomicU64::new(10);

#[no_mangle]
pub extern "C" fn commerce_extension_get_info() -> *const Info {
    &INFO
}

#[no_mangle]
pub unsafe extern "C" fn commerce_extension_init(api: *const HostApi, init: *mut c_void, config: Str) -> Status {
    if api.is_null() {
        return FAILED;
    }
    API.store(api as *mut HostApi, Ordering::Release);
    let api = &*api;
    let config = String::from_utf8_lossy(config.bytes()).into_owned();
    match number_after(&config, "\"maxQuantity\"") {
        Some(max) if max >= 1.0 && max.fract() == 0.0 => MAX_QUANTITY.store(max as u64, Ordering::Relaxed),
        Some(_) => {
            (api.init_set_error)(init, Str::from_static("maxQuantity must be a whole number of at least 1"));
            return INVALID;
        }
        None => {}
    }
    let registration = TriggerRegistration {
        size: std::mem::size_of::<TriggerRegistration>() as u32,
        request_type: Str::from_static("AddCartLinesRequest"),
        pre: Some(check_quantities),
        post: std::ptr::null(),
        user_data: std::ptr::null_mut(),
    };
    (api.register_trigger)(init, &registration)
}

unsafe extern "C" fn check_quantities(_user_data: *mut c_void, call: *mut c_void, request: Str) -> Status {
    // No panic may unwind into the host (panic = "abort" in the profile as well).
    let outcome = std::panic::catch_unwind(|| {
        let text = String::from_utf8_lossy(request.bytes()).into_owned();
        first_excess(&text, MAX_QUANTITY.load(Ordering::Relaxed) as f64)
    });
    let api = &*API.load(Ordering::Acquire);
    match outcome {
        Ok(None) => OK,
        Ok(Some(quantity)) => {
            let message = format!(
                "a cart line may hold at most {} units; {} were asked for",
                MAX_QUANTITY.load(Ordering::Relaxed),
                quantity
            );
            (api.call_set_error)(call, Str { data: message.as_ptr() as *const c_char, length: message.len() });
            INVALID
        }
        Err(_) => FAILED,
    }
}

/// The first `"Quantity"` above `max` in the request, if any.
fn first_excess(json: &str, max: f64) -> Option<f64> {
    let mut rest = json;
    while let Some(position) = rest.find("\"Quantity\"") {
        rest = &rest[position + "\"Quantity\"".len()..];
        if let Some(quantity) = number_after(rest, "") {
            if quantity > max {
                return Some(quantity);
            }
        }
    }
    None
}

/// The number after `key` and a colon (`key` may be empty when the text starts at the colon).
fn number_after(text: &str, key: &str) -> Option<f64> {
    let start = if key.is_empty() { 0 } else { text.find(key)? + key.len() };
    let rest = text[start..].trim_start().strip_prefix(':')?.trim_start();
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == 'E' || c == '+')).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_quantities_above_the_maximum() {
        let request = r#"{"CartId":"a","CartLines":[{"ProductId":1,"Quantity":2},{"ProductId":2,"Quantity":11}]}"#;
        assert_eq!(first_excess(request, 10.0), Some(11.0));
        assert_eq!(first_excess(request, 11.0), None);
    }
}
