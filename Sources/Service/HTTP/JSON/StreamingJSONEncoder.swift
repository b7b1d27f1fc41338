import Foundation

/// Encodes `Encodable` values straight into JSON bytes through `JSONWriter`: the service's one
/// response encoder. Records are plain `Encodable` types; this encoder gives them the API's
/// conventions:
/// - keys in snake_case, converted from the Swift names as they are written (`ownerID` →
///   `owner_id`); dictionaries' own keys (`[String: …]`, `JSONValue` objects) are data and kept;
/// - `nil` written as `null`, so every documented key is present;
/// - dates as `yyyy-MM-ddTHH:mm:ssZ` (UTC), non-finite numbers as `null`;
/// - `JSONValue` written directly (its object keys sorted) and `RawJSON` copied as it is.
///
/// It writes as the value's `encode(to:)` runs, with no intermediate tree: the common types are
/// written from their concrete overloads or recognised by their metatype, never by a dynamic cast.
/// A container is closed when its owner writes again or the value's `encode(to:)` returns, so
/// containers must be used in order (finish a nested container before writing to its parent), as
/// every synthesized and hand-written `encode(to:)` here does. `codingPath` is not tracked.
public struct StreamingJSONEncoder: Sendable {
    /// Spaces per level of indentation; 0 writes compact JSON.
    public var indent: Int

    public init(indent: Int = 0) {
        self.indent = indent
    }

    /// `value` as JSON bytes.
    public func encode<T: Encodable>(_ value: T, capacity: Int = 1024) throws -> [UInt8] {
        var writer = JSONWriter(capacity: capacity, indent: indent)
        try encode(value, into: &writer)
        return writer.bytes
    }

    /// `value` as JSON text.
    public func text<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encode(value), as: UTF8.self)
    }

    /// Writes `value` as the next value of `writer` (inside an object, after its key).
    public func encode<T: Encodable>(_ value: T, into writer: inout JSONWriter) throws {
        // Hand the buffer over rather than copy it: the state owns it while encoding.
        let state = EncodingState(writer: writer)
        writer = JSONWriter(capacity: 0)
        defer { writer = state.finish() }
        try state.write(value)
    }
}

/// JSON text written elsewhere (a cached response, PostgreSQL's `jsonb` output), placed in a
/// response as it is by `StreamingJSONEncoder`. Other encoders parse it and encode the value.
public struct RawJSON: Encodable, Sendable, Equatable {
    public let text: String

    public init(_ text: String) {
        self.text = text
    }

    public func encode(to encoder: any Encoder) throws {
        try JSONValue.parse(text).encode(to: encoder)
    }
}

/// Dictionaries keyed by strings: their keys are data, written as they are (not converted to
/// snake_case) and sorted, as `JSONValue` objects are.
protocol StringKeyedDictionary {
    func writeEntries(to state: EncodingState) throws
}

extension Dictionary: StringKeyedDictionary where Key == String, Value: Encodable {
    func writeEntries(to state: EncodingState) throws {
        state.writer.beginObject()
        for key in keys.sorted() {
            state.writer.key(key)
            try state.write(self[key]!)
        }
        state.writer.endObject()
    }
}

/// The encoder's state while one value is written: the writer and the containers still open.
final class EncodingState: Encoder {
    /// The writer and the container stack, behind pointers: as stored properties of a class,
    /// every access would go through a dynamic exclusivity check (a tenth of the encoder's time
    /// in a profile).
    private let writerStorage = UnsafeMutablePointer<JSONWriter>.allocate(capacity: 1)
    private let openStorage = UnsafeMutablePointer<[Bool]>.allocate(capacity: 1)
    private let baseStorage = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    private var finished = false

    var writer: JSONWriter {
        unsafeAddress { UnsafePointer(writerStorage) }
        unsafeMutableAddress { writerStorage }
    }
    /// The containers opened and not yet closed, outermost first (`true` for an object).
    var open: [Bool] {
        unsafeAddress { UnsafePointer(openStorage) }
        unsafeMutableAddress { openStorage }
    }
    /// Where the value being written began in `open`: a second `container(keyedBy:)` call from
    /// the same `encode(to:)` returns the object already open there.
    var base: Int {
        unsafeAddress { UnsafePointer(baseStorage) }
        unsafeMutableAddress { baseStorage }
    }

    let codingPath: [any CodingKey] = []
    let userInfo: [CodingUserInfoKey: Any] = [:]

    init(writer: JSONWriter) {
        writerStorage.initialize(to: writer)
        openStorage.initialize(to: [])
        openStorage.pointee.reserveCapacity(16)
        baseStorage.initialize(to: 0)
    }

    /// The writer with everything written, taken out of the state.
    func finish() -> JSONWriter {
        finished = true
        return writerStorage.move()
    }

    deinit {
        if !finished { writerStorage.deinitialize(count: 1) }
        writerStorage.deallocate()
        openStorage.deinitialize(count: 1)
        openStorage.deallocate()
        baseStorage.deallocate()
    }

    /// Closes the containers deeper than `depth` (their owners are done with them).
    @inline(__always) func settle(_ depth: Int) {
        while open.count > depth {
            if open.removeLast() { writer.endObject() } else { writer.endArray() }
        }
    }

    func write<T: Encodable>(_ value: T) throws {
        // The common leaves by metatype (a pointer comparison), then written as their own type.
        if T.self == String.self { return writer.string(unsafeBitCast(value, to: String.self)) }
        if T.self == Int.self { return writer.int(unsafeBitCast(value, to: Int.self)) }
        if T.self == Double.self { return writer.double(unsafeBitCast(value, to: Double.self)) }
        if T.self == Bool.self { return writer.bool(unsafeBitCast(value, to: Bool.self)) }
        if T.self == Date.self { return writer.date(unsafeBitCast(value, to: Date.self)) }
        if T.self == Int64.self { return writer.int(unsafeBitCast(value, to: Int64.self)) }
        if T.self == JSONValue.self { return unsafeBitCast(value, to: JSONValue.self).writeJSON(to: &writer) }
        if T.self == RawJSON.self { return writer.raw(unsafeBitCast(value, to: RawJSON.self).text) }
        if let dictionary = value as? any StringKeyedDictionary { return try dictionary.writeEntries(to: self) }
        let outer = base
        base = open.count
        let start = writer.bytes.count
        try value.encode(to: self)
        settle(base)
        // A value that wrote nothing at all is an empty object, as JSONEncoder writes it.
        if writer.bytes.count == start { writer.beginObject(); writer.endObject() }
        base = outer
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if open.count > base, open[base] {
            settle(base + 1)
        } else {
            settle(base)
            writer.beginObject()
            open.append(true)
        }
        return KeyedEncodingContainer(ObjectContainer<Key>(state: self, depth: base + 1))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if open.count > base, !open[base] {
            settle(base + 1)
        } else {
            settle(base)
            writer.beginArray()
            open.append(false)
        }
        return ArrayContainer(state: self, depth: base + 1)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        ValueContainer(state: self)
    }
}
