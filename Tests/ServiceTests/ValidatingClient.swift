import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The test client every HTTP suite goes through: it passes each request on and checks each
/// response against the API document (`OpenAPIValidator`), recording a test issue for any
/// response that does not conform — so every route the suites exercise also tests the document.
struct ValidatingClient: TestClientProtocol {
    let inner: any TestClientProtocol

    var port: Int? { inner.port }

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        let response = try await inner.executeRequest(uri: uri, method: method, headers: headers, body: body)
        let problems = OpenAPIValidator.shared.problems(method: method.rawValue, uri: uri, status: Int(response.status.code),
                                                       contentType: response.headers[.contentType], body: Array(response.body.readableBytesView))
        for problem in problems.prefix(5) { Issue.record("response does not match the API document: \(problem)") }
        return response
    }
}
