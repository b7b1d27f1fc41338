import Foundation

/// An object being written by `StreamingJSONEncoder`: each member's key in snake_case, then its
/// value; optionals that are nil as `null`.
struct ObjectContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let state: EncodingState
    /// How many containers are open while this one is the innermost.
    let depth: Int

    var codingPath: [any CodingKey] { [] }

    @inline(__always) func key(_ key: Key) {
        state.settle(depth)
        state.writer.snakeCaseKey(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws { self.key(key); state.writer.null() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { self.key(key); state.writer.bool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { self.key(key); state.writer.string(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { self.key(key); state.writer.double(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { self.key(key); state.writer.float(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { self.key(key); state.writer.int(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { self.key(key); state.writer.int(Int(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { self.key(key); state.writer.int(Int(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { self.key(key); state.writer.int(Int(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { self.key(key); state.writer.int(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { self.key(key); state.writer.unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { self.key(key); state.writer.int(Int(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { self.key(key); state.writer.int(Int(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { self.key(key); state.writer.int(Int(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { self.key(key); state.writer.unsigned(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { self.key(key); try state.write(value) }

    // Synthesized `encode(to:)` calls these for optionals; the default leaves the key out, the
    // API's records show it as null.
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) } }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        self.key(key)
        state.writer.beginObject()
        state.open.append(true)
        return KeyedEncodingContainer(ObjectContainer<NestedKey>(state: state, depth: depth + 1))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        self.key(key)
        state.writer.beginArray()
        state.open.append(false)
        return ArrayContainer(state: state, depth: depth + 1)
    }

    // No API type encodes a superclass; a subclass that did would need an encoder of its own.
    mutating func superEncoder() -> any Encoder { preconditionFailure("StreamingJSONEncoder does not support superEncoder()") }
    mutating func superEncoder(forKey key: Key) -> any Encoder { preconditionFailure("StreamingJSONEncoder does not support superEncoder(forKey:)") }
}

/// An array being written by `StreamingJSONEncoder`.
struct ArrayContainer: UnkeyedEncodingContainer {
    let state: EncodingState
    let depth: Int
    private(set) var count = 0

    var codingPath: [any CodingKey] { [] }

    @inline(__always) mutating func next() {
        state.settle(depth)
        count += 1
    }

    mutating func encodeNil() throws { next(); state.writer.null() }
    mutating func encode(_ value: Bool) throws { next(); state.writer.bool(value) }
    mutating func encode(_ value: String) throws { next(); state.writer.string(value) }
    mutating func encode(_ value: Double) throws { next(); state.writer.double(value) }
    mutating func encode(_ value: Float) throws { next(); state.writer.float(value) }
    mutating func encode(_ value: Int) throws { next(); state.writer.int(value) }
    mutating func encode(_ value: Int64) throws { next(); state.writer.int(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { next(); try state.write(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        next()
        state.writer.beginObject()
        state.open.append(true)
        return KeyedEncodingContainer(ObjectContainer<NestedKey>(state: state, depth: depth + 1))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        next()
        state.writer.beginArray()
        state.open.append(false)
        return ArrayContainer(state: state, depth: depth + 1)
    }

    mutating func superEncoder() -> any Encoder { preconditionFailure("StreamingJSONEncoder does not support superEncoder()") }
}

/// One value written in place (an enum's raw value, a wrapper's wrapped value).
struct ValueContainer: SingleValueEncodingContainer {
    let state: EncodingState

    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { state.writer.null() }
    mutating func encode(_ value: Bool) throws { state.writer.bool(value) }
    mutating func encode(_ value: String) throws { state.writer.string(value) }
    mutating func encode(_ value: Double) throws { state.writer.double(value) }
    mutating func encode(_ value: Float) throws { state.writer.float(value) }
    mutating func encode(_ value: Int) throws { state.writer.int(value) }
    mutating func encode(_ value: Int8) throws { state.writer.int(Int(value)) }
    mutating func encode(_ value: Int16) throws { state.writer.int(Int(value)) }
    mutating func encode(_ value: Int32) throws { state.writer.int(Int(value)) }
    mutating func encode(_ value: Int64) throws { state.writer.int(value) }
    mutating func encode(_ value: UInt) throws { state.writer.unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { state.writer.int(Int(value)) }
    mutating func encode(_ value: UInt16) throws { state.writer.int(Int(value)) }
    mutating func encode(_ value: UInt32) throws { state.writer.int(Int(value)) }
    mutating func encode(_ value: UInt64) throws { state.writer.unsigned(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try state.write(value) }
}
