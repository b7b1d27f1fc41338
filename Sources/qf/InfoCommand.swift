import ArgumentParser
import Compute
import Ingest

/// `qf info`: what this build links against and how it is configured.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Print library versions and compute settings.")

    func run() throws {
        let config = try ComputeConfiguration.fromEnvironment(processEnvironment())
        config.apply()
        print("OpenBLAS:      \(BLAS.configuration)")
        print("BLAS kernel:   \(BLAS.coreName)")
        print("BLAS threads:  \(BLAS.threadCount) (QF_BLAS_THREADS)")
        print("HDF5:          \(HDF5Library.versionString)")
    }
}
