import Foundation
import NIOCore
import NIOPosix

/// A light HTTP/1.1 load generator for the benchmarks' storms: `connections` keep-alive connections on one event-loop
/// thread, each sending its next request as soon as the previous response has arrived in full (a closed loop, so
/// `connections` is the number of requests in flight). Requests are raw bytes made by `request(n)`; a response counts
/// as an error unless its status is 200.
///
/// The generator shares the machine's cores with the server it measures, so it is kept cheap: no per-request task,
/// no client pipeline, no content decoding. (Measured with `perf`: about half a core at 4,500 requests/s, mostly the
/// loopback's system calls.)
enum LoadGenerator {
    struct Result { var rate: Double; var p50: Double; var p99: Double; var errors: Int }

    /// A GET of `path` on the benchmarked server, as the generator sends it.
    static func get(_ path: String) -> String { "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" }

    static func storm(host: String = "127.0.0.1", port: Int, connections: Int, seconds: Int,
                      request: @escaping @Sendable (Int) -> String) async throws -> Result {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let run = Run(seconds: seconds, request: request)
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in channel.pipeline.addHandler(Connection(run: run)) }
        var channels: [any Channel] = []
        for _ in 0..<connections { channels.append(try await bootstrap.connect(host: host, port: port).get()) }
        let start = NIODeadline.now()
        run.start = start
        run.deadline = start + .seconds(Int64(seconds))
        for channel in channels { channel.pipeline.fireUserInboundEventTriggered(Connection.Go()) }
        try await Task.sleep(for: .seconds(seconds))
        // Every connection stops after its response in flight; wait for the last of them.
        for channel in channels { try? await channel.closeFuture.get() }
        let result = try await loop.submit { run.result() }.get()
        try await group.shutdownGracefully()
        return result
    }

    /// State shared by the connections; touched only on the generator's single event loop.
    final class Run: @unchecked Sendable {
        let request: @Sendable (Int) -> String
        var start = NIODeadline.now()
        var deadline = NIODeadline.now()
        var next = 0
        var latencies: [UInt64] = []
        var errors = 0
        var end = NIODeadline.now()

        init(seconds: Int, request: @escaping @Sendable (Int) -> String) {
            self.request = request
            latencies.reserveCapacity(seconds * 20_000)
        }

        func result() -> Result {
            let sorted = latencies.sorted()
            func percentile(_ p: Double) -> Double {
                sorted.isEmpty ? 0 : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e9
            }
            let elapsed = Double((end - start).nanoseconds) / 1e9
            return Result(rate: Double(sorted.count) / max(elapsed, 1e-9), p50: percentile(0.5), p99: percentile(0.99), errors: errors)
        }
    }

    /// One keep-alive connection: writes a request, reads its response (Content-Length or chunked), repeats until the
    /// deadline, then closes.
    final class Connection: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        struct Go {}
        let run: Run
        var buffer: ByteBuffer?
        var sentAt = NIODeadline.now()
        var busy = false

        init(run: Run) { self.run = run }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is Go { send(context) } else { context.fireUserInboundEventTriggered(event) }
        }

        func send(_ context: ChannelHandlerContext) {
            guard NIODeadline.now() < run.deadline else { context.close(promise: nil); return }
            let n = run.next
            run.next += 1
            let text = run.request(n)
            var out = context.channel.allocator.buffer(capacity: text.utf8.count)
            out.writeString(text)
            busy = true
            sentAt = NIODeadline.now()
            context.writeAndFlush(NIOAny(out), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
            guard busy, let (status, consumed) = Self.response(in: buffer!) else { return }
            let now = NIODeadline.now()
            busy = false
            buffer!.moveReaderIndex(forwardBy: consumed)
            if buffer!.readableBytes == 0 { buffer = nil }
            run.latencies.append(UInt64((now - sentAt).nanoseconds))
            if status != 200 { run.errors += 1 }
            run.end = now
            send(context)
        }

        /// A connection the server closed with a request outstanding: that request is an error.
        func channelInactive(context: ChannelHandlerContext) {
            if busy { run.errors += 1; busy = false }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if busy { run.errors += 1; busy = false }
            context.close(promise: nil)
        }

        /// A whole response at the start of `buffer`: its status and length in bytes; nil while incomplete.
        static func response(in buffer: ByteBuffer) -> (Int, Int)? {
            let view = buffer.readableBytesView
            guard let headEnd = view.firstRange(of: [13, 10, 13, 10]) else { return nil }
            let head = String(decoding: view[view.startIndex..<headEnd.lowerBound], as: UTF8.self)
            let lines = head.split(separator: "\r\n")
            guard let statusLine = lines.first, statusLine.count >= 12, let status = Int(statusLine.dropFirst(9).prefix(3)) else { return nil }
            var length: Int?
            var chunked = false
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if name == "content-length" { length = Int(value) }
                if name == "transfer-encoding", value.lowercased().contains("chunked") { chunked = true }
            }
            let bodyStart = headEnd.upperBound - view.startIndex
            if !chunked {
                let count = length ?? 0
                return buffer.readableBytes >= bodyStart + count ? (status, bodyStart + count) : nil
            }
            var at = bodyStart
            while true {
                let rest = view.dropFirst(at)
                guard let lineEnd = rest.firstRange(of: [13, 10]) else { return nil }
                let sizeText = String(decoding: rest[rest.startIndex..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
                let dataStart = lineEnd.upperBound - view.startIndex
                guard buffer.readableBytes >= dataStart + size + 2 else { return nil }
                if size == 0 { return (status, dataStart + 2) }  // no trailers from our server
                at = dataStart + size + 2
            }
        }
    }
}
