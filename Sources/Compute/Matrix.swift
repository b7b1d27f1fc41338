/// A row-major, contiguous float32 matrix view over memory owned elsewhere.
///
/// `Matrix` is the currency of Compute: layers, losses and optimizers take and return views, never
/// copies, so a training step moves no data it does not have to. A view does not keep its memory
/// alive; the owner (a `MatrixBuffer`, a `ParameterStore`, a model's workspace) must outlive it.
/// Element (r, c) lives at `base[r * cols + c]`.
public struct Matrix {
    /// First element.
    public let base: UnsafeMutablePointer<Float>
    /// Number of rows (the batch dimension for activations).
    public let rows: Int
    /// Number of columns (the feature dimension for activations).
    public let cols: Int

    /// A view of `rows × cols` floats starting at `base`.
    public init(base: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative shape \(rows)×\(cols)")
        self.base = base
        self.rows = rows
        self.cols = cols
    }

    /// Number of elements.
    @inlinable public var count: Int { rows * cols }

    /// The elements as a flat buffer pointer.
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: count) }

    /// Element (row, column), bounds-checked in debug builds.
    @inlinable public subscript(row: Int, column: Int) -> Float {
        get {
            assert(row >= 0 && row < rows && column >= 0 && column < cols, "Matrix index (\(row), \(column)) out of \(rows)×\(cols)")
            return base[row * cols + column]
        }
        nonmutating set {
            assert(row >= 0 && row < rows && column >= 0 && column < cols, "Matrix index (\(row), \(column)) out of \(rows)×\(cols)")
            base[row * cols + column] = newValue
        }
    }

    /// Pointer to the first element of `row`.
    @inlinable public func row(_ row: Int) -> UnsafeMutablePointer<Float> { base + row * cols }

    /// The first `count` rows, sharing memory (used to run a smaller batch through a workspace).
    @inlinable public func leadingRows(_ count: Int) -> Matrix {
        precondition(count <= rows, "leadingRows(\(count)) of a matrix with \(rows) rows")
        return Matrix(base: base, rows: count, cols: cols)
    }

    /// The same memory seen with another shape of equal element count.
    @inlinable public func reshaped(rows newRows: Int, cols newCols: Int) -> Matrix {
        precondition(newRows * newCols == count, "reshape \(rows)×\(cols) → \(newRows)×\(newCols) changes the element count")
        return Matrix(base: base, rows: newRows, cols: newCols)
    }

    /// Copies the elements into a new array (for tests and reporting, not hot paths).
    public func toArray() -> [Float] { Array(buffer) }

    /// Sets every element to `value`.
    @inlinable public func fill(_ value: Float) { base.update(repeating: value, count: count) }

    /// Copies `other`'s elements into this view; shapes must match.
    @inlinable public func copy(from other: Matrix) {
        precondition(rows == other.rows && cols == other.cols, "copy: shape \(other.rows)×\(other.cols) into \(rows)×\(cols)")
        base.update(from: other.base, count: count)
    }
}

/// A `Matrix` that owns its memory: for inputs, targets, and standalone use.
public final class MatrixBuffer {
    /// The memory.
    public let storage: AlignedBuffer
    /// The view over all of it.
    public let matrix: Matrix

    /// A zero-filled `rows × cols` matrix.
    public init(rows: Int, cols: Int) {
        storage = AlignedBuffer(count: rows * cols)
        matrix = Matrix(base: storage.base, rows: rows, cols: cols)
    }

    /// A matrix holding `values` in row-major order.
    public convenience init(rows: Int, cols: Int, values: [Float]) {
        precondition(values.count == rows * cols, "MatrixBuffer: \(values.count) values for \(rows)×\(cols)")
        self.init(rows: rows, cols: cols)
        values.withUnsafeBufferPointer { matrix.base.update(from: $0.baseAddress!, count: values.count) }
    }

    @inlinable public var rows: Int { matrix.rows }
    @inlinable public var cols: Int { matrix.cols }
}
