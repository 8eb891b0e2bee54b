//! Every RPC a running binary serves, as a client no one here wrote would
//! find them: by gRPC reflection, and called with an empty message (or an
//! empty stream) whatever their types, to see how the server answers.

use std::net::SocketAddr;

use futures::StreamExt;
use prost::Message;
use tonic::Code;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

use super::binary::channel;

/// One served method.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rpc {
    /// `minsheng.fraud.v1.Alerts/TriageAlert`: the form docs/access.md uses.
    pub name: String,
    pub client_streaming: bool,
    pub server_streaming: bool,
}

impl Rpc {
    /// The method's name alone: `TriageAlert`.
    pub fn method(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }
}

async fn ask(addr: SocketAddr, request: MessageRequest) -> ServerReflectionResponse {
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut answers = ServerReflectionClient::new(channel(addr).await)
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    answers.next().await.expect("an answer").unwrap()
}

/// How many bytes reflection answers, without a token, to a request for
/// the file holding `symbol`: its messages and its errors' messages.
pub async fn reflection_answers(addr: SocketAddr, symbol: String) -> usize {
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(symbol)),
    };
    let answers = ServerReflectionClient::new(channel(addr).await)
        .max_encoding_message_size(usize::MAX)
        .server_reflection_info(futures::stream::iter([request]))
        .await;
    let answers = match answers {
        Ok(answers) => answers,
        Err(status) => return status.message().len(),
    };
    answers
        .into_inner()
        .map(|answer| answer.map_or_else(|status| status.message().len(), |a| a.encoded_len()))
        .fold(0, |sum, n| async move { sum + n })
        .await
}

/// The minsheng RPCs served at `addr` (health and reflection left out),
/// sorted by name.
pub async fn served(addr: SocketAddr) -> Vec<Rpc> {
    let Some(MessageResponse::ListServicesResponse(list)) =
        ask(addr, MessageRequest::ListServices(String::new()))
            .await
            .message_response
    else {
        panic!("reflection did not list the services")
    };
    let mut rpcs = Vec::new();
    for service in list
        .service
        .iter()
        .filter(|s| s.name.starts_with("minsheng."))
    {
        let Some(MessageResponse::FileDescriptorResponse(files)) = ask(
            addr,
            MessageRequest::FileContainingSymbol(service.name.clone()),
        )
        .await
        .message_response
        else {
            panic!("no descriptor for {}", service.name)
        };
        let (package, short) = service.name.rsplit_once('.').expect("a qualified name");
        let described = files
            .file_descriptor_proto
            .iter()
            .map(|bytes| prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap())
            .filter(|file| file.package() == package)
            .flat_map(|file| file.service)
            .find(|s| s.name() == short)
            .unwrap_or_else(|| panic!("{} is not in its descriptor", service.name));
        rpcs.extend(described.method.iter().map(|m| Rpc {
            name: format!("{}/{}", service.name, m.name()),
            client_streaming: m.client_streaming(),
            server_streaming: m.server_streaming(),
        }));
    }
    rpcs.sort();
    rpcs
}

/// Sends bytes as they are, whatever they encode; reads answers as `()`.
#[derive(Clone, Debug, Default)]
struct Raw;

impl tonic::codec::Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = ();
    type Encoder = Raw;
    type Decoder = tonic_prost::ProstDecoder<()>;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Self::Decoder {
        tonic_prost::ProstDecoder::default()
    }
}

impl tonic::codec::Encoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: Vec<u8>,
        buf: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        bytes::BufMut::put_slice(buf, &item);
        Ok(())
    }
}

/// Calls `rpc` with `message` as its bytes (a stream of one for a client
/// stream), a bearer `token` if any and `metadata`; answers the status code
/// (for a server stream, of its first message).
pub async fn call_raw(
    addr: SocketAddr,
    rpc: &Rpc,
    token: Option<&str>,
    metadata: &[(&'static str, String)],
    message: Vec<u8>,
) -> Code {
    let mut client = tonic::client::Grpc::new(channel(addr).await);
    client.ready().await.unwrap();
    let path: http::uri::PathAndQuery = format!("/{}", rpc.name).parse().unwrap();
    let mut sent = tonic::Request::new(());
    if let Some(token) = token {
        minsheng_runtime::auth::attach_bearer(&mut sent, token).unwrap();
    }
    for (key, value) in metadata {
        sent.metadata_mut().insert(*key, value.parse().unwrap());
    }
    let request = |message| {
        let mut request = tonic::Request::new(message);
        *request.metadata_mut() = sent.metadata().clone();
        request
    };
    let outcome = match (rpc.client_streaming, rpc.server_streaming) {
        (false, false) => client.unary(request(message), path, Raw).await.map(drop),
        (false, true) => match client.server_streaming(request(message), path, Raw).await {
            Ok(answers) => answers.into_inner().message().await.map(drop),
            Err(status) => Err(status),
        },
        (true, false) => {
            let mut streamed = tonic::Request::new(futures::stream::iter([message]));
            *streamed.metadata_mut() = sent.metadata().clone();
            client.client_streaming(streamed, path, Raw).await.map(drop)
        }
        (true, true) => {
            let mut streamed = tonic::Request::new(futures::stream::iter([message]));
            *streamed.metadata_mut() = sent.metadata().clone();
            match client.streaming(streamed, path, Raw).await {
                Ok(answers) => answers.into_inner().message().await.map(drop),
                Err(status) => Err(status),
            }
        }
    };
    match outcome {
        Ok(()) => Code::Ok,
        Err(status) => status.code(),
    }
}

/// A message holding `bytes` bytes as its field 1, of wire type
/// length-delimited: over a limit, it is refused before anything reads it.
pub fn string_field_1(bytes: usize) -> Vec<u8> {
    let mut message = vec![0x0a];
    let mut length = bytes;
    while length >= 0x80 {
        message.push((length as u8 & 0x7f) | 0x80);
        length >>= 7;
    }
    message.push(length as u8);
    message.extend(std::iter::repeat_n(b'a', bytes));
    message
}

/// Calls `rpc` with an empty message (an empty stream for a client stream)
/// and a bearer `token`, if any; answers the status code, `Ok` when a
/// server stream was opened (its first message is not awaited: a watch
/// may send nothing for a long time).
pub async fn call_empty(addr: SocketAddr, rpc: &Rpc, token: Option<&str>) -> Code {
    let mut client = tonic::client::Grpc::new(channel(addr).await);
    client.ready().await.unwrap();
    let path: http::uri::PathAndQuery = format!("/{}", rpc.name).parse().unwrap();
    // `()` is the empty protobuf message: it encodes to nothing and decodes
    // any answer by skipping its fields.
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    fn with_token<T>(message: T, token: Option<&str>) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        if let Some(token) = token {
            minsheng_runtime::auth::attach_bearer(&mut request, token).unwrap();
        }
        request
    }
    let outcome = match (rpc.client_streaming, rpc.server_streaming) {
        (false, false) => client
            .unary(with_token((), token), path, codec)
            .await
            .map(drop),
        (false, true) => client
            .server_streaming(with_token((), token), path, codec)
            .await
            .map(drop),
        (true, false) => client
            .client_streaming(with_token(futures::stream::empty(), token), path, codec)
            .await
            .map(drop),
        (true, true) => client
            .streaming(with_token(futures::stream::empty(), token), path, codec)
            .await
            .map(drop),
    };
    match outcome {
        Ok(()) => Code::Ok,
        Err(status) => status.code(),
    }
}
