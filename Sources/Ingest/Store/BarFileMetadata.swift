import Foundation

/// The root attributes of a QuantForge bar file (the layout of DESIGN.md).
public struct BarFileMetadata: Sendable, Equatable {
    /// Always "quantforge.bars".
    public static let format = "quantforge.bars"
    /// Layout version written by this code.
    public static let currentVersion: Int64 = 1

    /// Layout version of the file.
    public var version: Int64
    /// Bar spacing as pandas writes it ("1D", "1min", "1s") or "irregular".
    public var frequency: String
    /// Where the data came from (a file path, a URL, "qf data synth").
    public var source: String
    /// ISO 8601 UTC time the file was written.
    public var createdAt: String
    /// Any further root attributes (lineage, preprocessing parameters, string columns kept).
    public var extra: [String: HDF5AttributeValue]

    public init(frequency: String, source: String, createdAt: Date = Date(), extra: [String: HDF5AttributeValue] = [:]) {
        version = BarFileMetadata.currentVersion
        self.frequency = frequency
        self.source = source
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        self.extra = extra
    }

    init(attributes: [String: HDF5AttributeValue], path: String) throws {
        guard attributes["format"]?.stringValue == BarFileMetadata.format else {
            throw IngestError.layout("\(path) is not a QuantForge bar file (root attribute format is \(attributes["format"]?.description ?? "missing"))")
        }
        version = attributes["version"]?.integerValue ?? 0
        frequency = attributes["frequency"]?.stringValue ?? "irregular"
        source = attributes["source"]?.stringValue ?? ""
        createdAt = attributes["created_at"]?.stringValue ?? ""
        extra = attributes.filter { !["format", "version", "frequency", "source", "created_at"].contains($0.key) }
    }

    /// Whether the bars have real times: false for a CSV ingested without a time axis, whose
    /// rows are numbered 0, 1, 2, … (figures are then per bar and date ranges mean nothing).
    public var hasTimestamps: Bool { extra["time_axis"]?.stringValue != "row_number" }

    var attributes: [String: HDF5AttributeValue] {
        var all = extra
        all["format"] = .string(BarFileMetadata.format)
        all["version"] = .integer(version)
        all["frequency"] = .string(frequency)
        all["source"] = .string(source)
        all["created_at"] = .string(createdAt)
        return all
    }
}

/// Describes a numeric column of a symbol: its name and attributes (units, description, origin).
public struct ColumnSpec: Sendable, Equatable {
    public var name: String
    public var attributes: [String: HDF5AttributeValue]

    public init(_ name: String, units: String? = nil, description: String? = nil) {
        self.name = name
        var attributes: [String: HDF5AttributeValue] = [:]
        if let units { attributes["units"] = .string(units) }
        if let description { attributes["description"] = .string(description) }
        self.attributes = attributes
    }
}
