import ArgumentParser
import Foundation
import Service

/// `qf openapi`: prints the API's OpenAPI 3.1 document (what `/api/v1/openapi.json` serves), for
/// `make openapi`, the generated client and schemathesis.
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openapi", abstract: "Print the API's OpenAPI 3.1 document.")

    func run() throws {
        FileHandle.standardOutput.write(try OpenAPIDocument.json())
    }
}
