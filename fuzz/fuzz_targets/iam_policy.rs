//! Any text as an IAM policy document: a policy or a `MalformedPolicyDocument`
//! style error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = gureum_policy::Policy::parse(text);
});
