//! (being written) Redis functions: libraries, FUNCTION and FCALL.
