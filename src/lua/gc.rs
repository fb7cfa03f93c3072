//! (being written) The cycle collector.
