using System.Globalization;
using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Delivery.Journal;

/// <summary>
/// Which recipients of which attempt a remote already accepted, so that a redelivered <see cref="DeliveryRequested"/>
/// (the worker was killed after the peer's final 250 but before the broker confirmed its DeliveryAttempted and took
/// the acknowledgement) is answered from here instead of being delivered a second time.
/// <para>
/// An append-only text file, one line per accepted recipient: <c>attempt id, recipient, reply code, enhanced status,
/// remote host, reply text</c>, tab-separated. Each record is written and flushed to the operating system before the
/// outcome is published. No fsync: a killed process (kill -9, OOM) loses nothing that reached the page cache, and
/// that is the crash this guards against; an operating-system crash may lose the last records, which only means a
/// duplicate delivery, the at-least-once every MTA has.
/// </para>
/// <para>
/// Bounded: the current segment (<see cref="DeliveryOptions.JournalPath"/>) is renamed to <c>&lt;path&gt;.1</c>, replacing
/// the previous one, once it is <see cref="DeliveryOptions.JournalRetention"/> old or
/// <see cref="DeliveryOptions.JournalMaxSegmentBytes"/> large; so a record is kept at least the retention (unless the size
/// bound rolls first) and at most twice it, and the in-memory index holds the two segments. On start both segments are
/// read; a line that did not get its newline (the write a crash cut short) or does not parse is skipped.
/// </para>
/// <para>
/// An optimisation against duplicates, never the source of truth: a failed write is logged and delivery goes on (the
/// in-memory index still answers redeliveries to this process). It knows only this worker's deliveries: a request
/// redelivered to another replica is delivered again there.
/// </para>
/// </summary>
public sealed class DeliveryJournal : IDisposable
{
    private const string Header = "#emailpipeline-delivery-journal v1";
    private const int FieldCount = 6;
    private static readonly TimeSpan ReopenBackoff = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly string? _path;
    private readonly TimeSpan _retention;
    private readonly long _maxSegmentBytes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private Dictionary<(string AttemptId, string Recipient), RecipientOutcome> _current = [];
    private Dictionary<(string AttemptId, string Recipient), RecipientOutcome> _previous = [];
    private FileStream? _stream;
    private DateTimeOffset _segmentStarted;
    private DateTimeOffset _lastOpenFailure = DateTimeOffset.MinValue;
    private byte[] _line = new byte[512];
    private bool _disposed;

    public DeliveryJournal(IOptions<DeliveryOptions> options, TimeProvider time, ILogger<DeliveryJournal> logger)
        : this(options.Value.JournalPath, options.Value.JournalRetention, options.Value.JournalMaxSegmentBytes, time, logger)
    {
    }

    /// <param name="path">The current segment's file; null keeps the journal in memory only (tests).</param>
    internal DeliveryJournal(string? path, TimeSpan retention, long maxSegmentBytes, TimeProvider time, ILogger logger)
    {
        _path = path is null ? null : Path.GetFullPath(path);
        _retention = retention;
        _maxSegmentBytes = maxSegmentBytes;
        _time = time;
        _logger = logger;
        _segmentStarted = time.GetUtcNow();
        if (_path is not null)
        {
            Load();
        }
    }

    /// <summary>The previous segment's file: <c>&lt;path&gt;.1</c>.</summary>
    public static string PreviousSegment(string path) => path + ".1";

    /// <summary>Records held in memory (both segments).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _current.Count + _previous.Count;
            }
        }
    }

    /// <summary>The recorded acceptance of <paramref name="recipient"/> under <paramref name="attemptId"/>, as a Delivered outcome.</summary>
    public bool TryGet(string attemptId, string recipient, out RecipientOutcome outcome)
    {
        lock (_lock)
        {
            return _current.TryGetValue((attemptId, recipient), out outcome!) || _previous.TryGetValue((attemptId, recipient), out outcome!);
        }
    }

    /// <summary>
    /// Records every Delivered outcome of <paramref name="outcomes"/> not recorded yet, then flushes once to the
    /// operating system. Never throws for I/O: the failure is logged and the delivery stands.
    /// </summary>
    public void Record(string attemptId, IReadOnlyList<RecipientOutcome> outcomes)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            bool wrote = false;
            foreach (RecipientOutcome o in outcomes)
            {
                if (o.Outcome != DeliveryOutcome.Delivered || _current.ContainsKey((attemptId, o.Recipient)) || _previous.ContainsKey((attemptId, o.Recipient)))
                {
                    continue;
                }

                if (!wrote)
                {
                    RollIfDue();
                }

                _current[(attemptId, o.Recipient)] = o;
                wrote |= Write(attemptId, o);
            }

            if (wrote && _stream is not null)
            {
                try
                {
                    _stream.Flush(flushToDisk: false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Fail("flush", ex);
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            Close();
        }
    }

    /// <summary>One record as a line; tabs and line breaks inside a field become spaces.</summary>
    internal static string Format(string attemptId, RecipientOutcome o) =>
        string.Join('\t', Clean(attemptId), Clean(o.Recipient), o.ReplyCode.ToString(CultureInfo.InvariantCulture), Clean(o.EnhancedStatus), Clean(o.RemoteHost ?? ""), Clean(o.Diagnostic)) + "\n";

    /// <summary>The record of one complete line (without its newline), or null when it does not parse.</summary>
    internal static (string AttemptId, RecipientOutcome Outcome)? Parse(string line)
    {
        if (line.Contains('\0', StringComparison.Ordinal))
        {
            return null; // a torn line ended at a later start, or zeroes an operating-system crash left
        }

        string[] f = line.Split('\t');
        if (f.Length != FieldCount || f[0].Length == 0 || f[1].Length == 0
            || !int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out int code) || code is < 200 or > 299
            || f[3].Length < 5 || f[3][0] != '2')
        {
            return null;
        }

        return (f[0], new RecipientOutcome(f[1], DeliveryOutcome.Delivered, code, f[3], f[5], f[4].Length == 0 ? null : f[4]));
    }

    private static string Clean(string value) =>
        value.AsSpan().IndexOfAny("\t\r\n\0") < 0 ? value : value.Replace('\t', ' ').Replace('\r', ' ').Replace('\n', ' ').Replace('\0', ' ');

    private bool Write(string attemptId, RecipientOutcome o)
    {
        if (_stream is null && !TryOpen())
        {
            return false;
        }

        string line = Format(attemptId, o);
        int max = Encoding.UTF8.GetMaxByteCount(line.Length);
        if (_line.Length < max)
        {
            _line = new byte[Math.Max(max, _line.Length * 2)];
        }

        int n = Encoding.UTF8.GetBytes(line, _line);
        try
        {
            // One buffered write per record; the Flush after the batch hands it to the OS in one write(2).
            _stream!.Write(_line, 0, n);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail("write", ex);
            return false;
        }
    }

    private void RollIfDue()
    {
        if (_path is null)
        {
            // In memory only: the same bound, by age.
            if (_time.GetUtcNow() - _segmentStarted >= _retention)
            {
                _previous = _current;
                _current = [];
                _segmentStarted = _time.GetUtcNow();
            }

            return;
        }

        long length = 0;
        try
        {
            length = _stream?.Length ?? 0;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            length = 0;
        }

        if (_time.GetUtcNow() - _segmentStarted < _retention && length < _maxSegmentBytes)
        {
            return;
        }

        Close();
        try
        {
            if (File.Exists(_path))
            {
                File.Move(_path, PreviousSegment(_path), overwrite: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Keep appending to the old file rather than lose records; the next roll tries again.
            DeliveryLog.JournalFailed(_logger, _path, "rotate", ex.Message);
        }

        _previous = _current;
        _current = [];
        _segmentStarted = _time.GetUtcNow();
        TryOpen();
        DeliveryLog.JournalRotated(_logger, _path, _previous.Count);
    }

    private bool TryOpen()
    {
        if (_path is null || _time.GetUtcNow() - _lastOpenFailure < ReopenBackoff)
        {
            return false;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            // Exclusive (an flock on Unix): a second process pointed at the same file fails here and runs with its
            // index in memory only, instead of writing over this one's records.
            var stream = new FileStream(_path, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 4096 });
            try
            {
                if (stream.Length == 0)
                {
                    stream.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Header}\t{_segmentStarted.ToUnixTimeMilliseconds()}\n")));
                }
                else
                {
                    stream.Seek(-1, SeekOrigin.End);
                    bool endsWithNewline = stream.ReadByte() == '\n';
                    stream.Seek(0, SeekOrigin.End);
                    if (!endsWithNewline)
                    {
                        // A crash cut the last line short: end it here with a NUL (no record contains one), so the next
                        // record starts on a line of its own and the fragment never parses, now or at a later start.
                        stream.Write("\0\n"u8);
                    }
                }

                stream.Flush(flushToDisk: false);
            }
            catch
            {
                stream.Dispose();
                throw;
            }

            _stream = stream;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _lastOpenFailure = _time.GetUtcNow();
            DeliveryLog.JournalFailed(_logger, _path, "open", ex.Message);
            return false;
        }
    }

    private void Fail(string stage, Exception ex)
    {
        DeliveryLog.JournalFailed(_logger, _path ?? "", stage, ex.Message);
        Close();
        _lastOpenFailure = _time.GetUtcNow();
    }

    private void Close()
    {
        FileStream? stream = _stream;
        _stream = null;
        if (stream is null)
        {
            return;
        }

        try
        {
            stream.Dispose();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            DeliveryLog.JournalFailed(_logger, _path ?? "", "close", ex.Message);
        }
    }

    private void Load()
    {
        string path = _path!;
        (int previousRecords, int previousSkipped, _) = ReadSegment(PreviousSegment(path), _previous);
        (int records, int skipped, DateTimeOffset? started) = ReadSegment(path, _current);

        // A segment without a readable header (cut short as it was created) counts as started now: kept longer, never shorter.
        _segmentStarted = started ?? _time.GetUtcNow();
        DeliveryLog.JournalLoaded(_logger, path, records + previousRecords, skipped + previousSkipped);
        TryOpen();
        RollIfDue();
    }

    /// <summary>Reads one segment into <paramref name="into"/>; returns the records read, the lines skipped and the start in its header.</summary>
    private (int Records, int Skipped, DateTimeOffset? Started) ReadSegment(string file, Dictionary<(string, string), RecipientOutcome> into)
    {
        int records = 0, skipped = 0;
        DateTimeOffset? started = null;
        try
        {
            if (!File.Exists(file))
            {
                return (0, 0, null);
            }

            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            bool complete = stream.Length == 0 || LastByte(stream) == '\n';
            stream.Position = 0;
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
            string? line = reader.ReadLine();
            while (line is not null)
            {
                string? next = reader.ReadLine();
                if (next is null && !complete)
                {
                    skipped++; // the torn last line: its write never finished
                    break;
                }

                if (line.StartsWith('#'))
                {
                    started ??= HeaderStart(line);
                }
                else if (line.Length > 0)
                {
                    if (Parse(line) is { } record)
                    {
                        into[(record.AttemptId, record.Outcome.Recipient)] = record.Outcome;
                        records++;
                    }
                    else
                    {
                        skipped++;
                    }
                }

                line = next;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            DeliveryLog.JournalFailed(_logger, file, "read", ex.Message);
        }

        return (records, skipped, started);
    }

    private static int LastByte(FileStream stream)
    {
        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte();
    }

    private static DateTimeOffset? HeaderStart(string line)
    {
        int tab = line.LastIndexOf('\t');
        return line.StartsWith(Header, StringComparison.Ordinal) && tab > 0
            && long.TryParse(line.AsSpan(tab + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
    }
}
