//! Streaming JSON tokenizer: bytes → tokens; knows nothing about rules. (Being written.)
