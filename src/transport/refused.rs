//! A connection refused before any session started: upgraded only so that a
//! browser can read why (an `error` frame, then a documented close code).

use crate::error::AppError;
use crate::protocol::{codes, encode_reply};
use actix::prelude::*;
use actix_web_actors::ws;
use serde_json::json;

pub struct Refused {
    pub error: AppError,
}

impl Actor for Refused {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let message = self.error.to_string();
        ctx.text(encode_reply(
            "error",
            None,
            None,
            &json!({"code": self.error.code(), "message": message}),
        ));
        ctx.close(Some(ws::CloseReason {
            code: codes::close_code_for(&self.error),
            description: Some(message),
        }));
        ctx.stop();
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for Refused {
    fn handle(&mut self, _: Result<ws::Message, ws::ProtocolError>, _: &mut Self::Context) {}
}
