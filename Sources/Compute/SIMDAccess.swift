/// Unaligned 16-lane loads and stores for the fused loops.
///
/// The optimiser cannot prove that the parameter, gradient and state pointers of a fused loop do
/// not overlap, so it leaves such loops scalar; writing them over `SIMD16<Float>` makes the
/// vectorisation explicit. Each lane performs exactly the scalar operations, in the same order, so
/// results are identical to the scalar formula.
@inlinable @inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inlinable @inline(__always)
func load16(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inlinable @inline(__always)
func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}
