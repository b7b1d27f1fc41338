import PostgresNIO

/// Reads a row's columns one after another, each as its own type: the records with many
/// columns decode this way, because decoding them as one tuple looked up the tuple's type
/// metadata at run time on every row.
struct RowCells {
    var cells: PostgresRow.Iterator

    init(_ row: PostgresRow) {
        cells = row.makeIterator()
    }

    /// The next column as `T`; a missing column is a 500 (the select list and the reader disagree).
    mutating func next<T: PostgresDecodable>(_: T.Type = T.self) throws -> T {
        guard let cell = cells.next() else { throw APIError.internalError }
        return try cell.decode(T.self)
    }
}
