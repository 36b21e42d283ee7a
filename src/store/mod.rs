//! The daemon's redb store. It knows nothing of HTTP.
