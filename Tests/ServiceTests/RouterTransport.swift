import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenAPIRuntime

/// Carries the generated client's requests to a HummingbirdTesting client (the router in-process,
/// through `ValidatingClient`), so tests can drive the API with the same typed client `qf demo`
/// uses, and every response is still checked against the document.
struct RouterTransport: ClientTransport {
    let client: any TestClientProtocol

    func send(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String) async throws -> (HTTPResponse, HTTPBody?) {
        var buffer: ByteBuffer?
        if let body { buffer = ByteBuffer(bytes: try await [UInt8](collecting: body, upTo: 16 << 20)) }
        let response = try await client.executeRequest(uri: request.path ?? "/", method: request.method, headers: request.headerFields, body: buffer)
        return (HTTPResponse(status: response.status, headerFields: response.headers), HTTPBody(Array(response.body.readableBytesView)))
    }
}
