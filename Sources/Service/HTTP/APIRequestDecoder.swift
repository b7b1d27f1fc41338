import Hummingbird

/// How `request.decode(as:context:)` reads a JSON body on the API's routes: `JSONParser` reads it
/// (malformed JSON, NULs: a 400 naming where), then `JSONValueDecoder` decodes the type from the
/// parsed value. A request type (`RequestFields`) reports every problem of its fields at once; any
/// other type's first decoding error becomes a 400 naming the field.
public struct APIRequestDecoder: RequestDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let acceptsEmpty = (T.self as? any RequestFields.Type)?.acceptsEmptyBody ?? false
        let value = try await RequestBody.json(request, allowEmpty: acceptsEmpty)
        do {
            return try JSONValueDecoder().decode(type, from: value)
        } catch let error as DecodingError {
            throw APIError.validation([.init(field: error.fieldPath, message: error.reason)])
        }
    }
}
