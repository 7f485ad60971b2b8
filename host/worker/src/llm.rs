//! Chat completions against any OpenAI-compatible endpoint, with dgov's retry policy.
//!
//! Requests and responses use async-openai's chat types (`ChatCompletionTools`,
//! `CreateChatCompletionResponse`), sent through reqwest directly: async-openai's client
//! drops response headers on errors, and dgov needs `Retry-After`.
//!
//! Policy: HTTP 429 waits `Retry-After` seconds when the header is there (at most
//! [`MAX_RATE_LIMIT_RETRIES`] times, unlike the original's unbounded loop), otherwise the
//! jittered schedule; 5xx, timeouts, connection resets and malformed bodies use the jittered
//! exponential schedule, at most [`MAX_RETRIES`] retries; any other 4xx fails at once.

use std::time::Duration;

use async_openai::types::chat::CreateChatCompletionResponse;
use serde_json::Value;

use crate::cassette::{Cassette, Recorder};

pub const MAX_RETRIES: u32 = 3;
pub const MAX_RATE_LIMIT_RETRIES: u32 = 20;
/// Longest `Retry-After` honoured in one wait.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// A failed completion after the retry policy gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LlmError {
    pub message: String,
    /// Whether another attempt (by the runner) could succeed.
    pub retryable: bool,
}

/// One failed try, classified.
#[derive(Debug)]
enum TryError {
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    Transient(String),
    Fatal(String),
}

/// Where completions come from.
pub enum Backend {
    Http(HttpChat),
    Replay(Cassette),
}

/// A chat endpoint plus an optional recorder.
pub struct Chat {
    pub backend: Backend,
    pub recorder: Option<Recorder>,
    /// Number of tries made (including retries), for telemetry and tests.
    pub tries: u64,
}

impl Chat {
    /// One completion with the retry policy applied. `on_retry` hears about each wait.
    pub async fn complete(
        &mut self,
        request: &Value,
        on_retry: &mut dyn FnMut(&str, Duration),
    ) -> Result<CreateChatCompletionResponse, LlmError> {
        let (raw, parsed) = match &mut self.backend {
            Backend::Replay(c) => {
                self.tries += 1;
                c.check_request(request).map_err(|m| LlmError {
                    message: m,
                    retryable: false,
                })?;
                let raw = c.next_response().map_err(|m| LlmError {
                    message: m,
                    retryable: false,
                })?;
                let parsed = parse(&raw.to_string()).map_err(|m| LlmError {
                    message: format!("replayed response is not a chat completion: {m}"),
                    retryable: false,
                })?;
                (raw, parsed)
            }
            Backend::Http(h) => {
                let mut transient = 0;
                let mut limited = 0;
                loop {
                    self.tries += 1;
                    match h.try_once(request).await {
                        Ok(pair) => break pair,
                        Err(TryError::Fatal(m)) => {
                            return Err(LlmError {
                                message: format!("API Failure: {m}"),
                                retryable: false,
                            });
                        }
                        Err(TryError::RateLimited {
                            retry_after,
                            message,
                        }) => {
                            limited += 1;
                            let wait = match retry_after {
                                Some(d) if limited <= MAX_RATE_LIMIT_RETRIES => {
                                    d.min(MAX_RETRY_AFTER)
                                }
                                _ => {
                                    transient += 1;
                                    if transient > MAX_RETRIES {
                                        return Err(LlmError {
                                            message: format!("API Failure: {message}"),
                                            retryable: true,
                                        });
                                    }
                                    h.backoff(transient)
                                }
                            };
                            on_retry(&message, wait);
                            tokio::time::sleep(wait).await;
                        }
                        Err(TryError::Transient(m)) => {
                            transient += 1;
                            if transient > MAX_RETRIES {
                                return Err(LlmError {
                                    message: format!("API Failure: {m}"),
                                    retryable: true,
                                });
                            }
                            let wait = h.backoff(transient);
                            on_retry(&m, wait);
                            tokio::time::sleep(wait).await;
                        }
                    }
                }
            }
        };
        if let Some(r) = &mut self.recorder {
            r.record(request, &raw).map_err(|m| LlmError {
                message: m,
                retryable: false,
            })?;
        }
        Ok(parsed)
    }
}

fn parse(body: &str) -> Result<CreateChatCompletionResponse, String> {
    let v: CreateChatCompletionResponse = serde_json::from_str(body).map_err(|e| {
        let mut shown: String = body.chars().take(200).collect();
        if shown.len() < body.len() {
            shown.push('…');
        }
        format!("malformed response ({e}): {shown}")
    })?;
    if v.choices.is_empty() {
        return Err("malformed response: no choices".into());
    }
    Ok(v)
}

/// An HTTP endpoint.
pub struct HttpChat {
    client: reqwest::Client,
    url: String,
    api_key: String,
    base_delay: Duration,
}

impl HttpChat {
    /// `base_url` ends before `/chat/completions` (e.g. `https://api.openai.com/v1`).
    /// `DGOV_LLM_RETRY_BASE_MS` sets the first backoff delay (default 2000 ms; later ones ×4).
    pub fn new(base_url: &str, api_key: &str, timeout: Duration) -> Result<HttpChat, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        let base_ms = std::env::var("DGOV_LLM_RETRY_BASE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000u64);
        Ok(HttpChat {
            client,
            url: format!("{}/chat/completions", base_url.trim_end_matches('/')),
            api_key: api_key.to_string(),
            base_delay: Duration::from_millis(base_ms),
        })
    }

    /// Jittered (±20 %) exponential delay for retry `n` (1-based).
    fn backoff(&self, n: u32) -> Duration {
        let base = self.base_delay.as_secs_f64() * 4f64.powi(n.saturating_sub(1) as i32);
        Duration::from_secs_f64((base * (0.8 + 0.4 * jitter())).max(0.0))
    }

    async fn try_once(
        &self,
        request: &Value,
    ) -> Result<(Value, CreateChatCompletionResponse), TryError> {
        let resp = self
            .client
            .post(&self.url)
            .bearer_auth(&self.api_key)
            .json(request)
            .send()
            .await
            .map_err(|e| {
                if e.is_builder() {
                    TryError::Fatal(format!("bad request to {}: {e}", self.url))
                } else {
                    TryError::Transient(format!("request to {} failed: {}", self.url, chain(&e)))
                }
            })?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64);
        let body = resp.text().await.map_err(|e| {
            TryError::Transient(format!("reading the response failed: {}", chain(&e)))
        })?;
        let short: String = body.chars().take(300).collect();
        if status.as_u16() == 429 {
            return Err(TryError::RateLimited {
                retry_after,
                message: format!("HTTP 429 rate limited: {short}"),
            });
        }
        if status.is_server_error() {
            return Err(TryError::Transient(format!("HTTP {status}: {short}")));
        }
        if !status.is_success() {
            return Err(TryError::Fatal(format!("HTTP {status}: {short}")));
        }
        let parsed = parse(&body).map_err(TryError::Transient)?;
        let raw: Value =
            serde_json::from_str(&body).map_err(|e| TryError::Transient(e.to_string()))?;
        Ok((raw, parsed))
    }
}

/// A uniform-ish number in [0, 1) for jitter (no RNG crate needed: only spreading retries).
fn jitter() -> f64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
