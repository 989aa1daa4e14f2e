//! Instants on the wire: protobuf timestamps to and from `jiff` instants, for every client-side
//! program (the servers have their own, stricter conversion that names the offending field).

use dentismile_domain::jiff::Timestamp;

/// A wire timestamp as an instant; `None` when absent or out of range (a client shows what it
/// can and treats such a message as incomplete).
pub fn from_wire(timestamp: Option<&prost_types::Timestamp>) -> Option<Timestamp> {
    timestamp.and_then(|t| Timestamp::new(t.seconds, t.nanos).ok())
}

/// An instant as a wire timestamp.
pub fn to_wire(instant: Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: instant.as_second(),
        nanos: instant.subsec_nanosecond(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_survive_the_wire_and_bad_ones_are_none() {
        let instant: Timestamp = "2026-11-24T07:30:00.125Z".parse().unwrap();
        assert_eq!(from_wire(Some(&to_wire(instant))), Some(instant));
        assert_eq!(from_wire(None), None);
        let out_of_range = prost_types::Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        };
        assert_eq!(from_wire(Some(&out_of_range)), None);
    }
}
