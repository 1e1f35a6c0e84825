using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EmailPipeline.Testing;

/// <summary>One message as Postfix's smtp-sink dumped it: its envelope and the message as received.</summary>
/// <param name="Content">The message as the client sent it, dot-unstuffed, with the line ends smtp-sink writes:
/// LF only (it stores each line without its CR; a CR inside a line stays). Compare with <see cref="SmtpSink.ToLf"/>.</param>
public sealed record SinkMessage(string File, string Helo, string MailArgs, IReadOnlyList<string> RcptArgs, byte[] Content)
{
    /// <summary>The recipient addresses (RCPT arguments without their angle brackets and parameters).</summary>
    public IReadOnlyList<string> Recipients => RcptArgs.Select(ScriptedMailServer.AddressOf).ToArray();
}

/// <summary>
/// Postfix's smtp-sink as a real peer MTA on a loopback port: <c>smtp-sink -u root -d &lt;dir&gt;/%M. 127.0.0.1:port 100</c>
/// writes each mail transaction to a file of its own (see "DUMP FILE FORMAT" in man smtp-sink: X-Client-Addr,
/// X-Client-Proto, X-Helo-Args, X-Mail-Args, one X-Rcpt-Args per RCPT, a three-line Received: header of its own,
/// then the message with LF line ends, then one empty line).
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly Process _process;

    private SmtpSink(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
    }

    public int Port { get; }

    public string Directory { get; }

    /// <summary>A sink on a free loopback port, for load: running counters (-c) and up to 500 sessions.</summary>
    public static Task<SmtpSink> StartAsync() => StartAsync(FreePorts.Take(1)[0], null, "-c", "-m", "500");

    public static async Task<SmtpSink> StartAsync(int port, string? directory = null, params string[] extraOptions)
    {
        directory ??= System.IO.Directory.CreateTempSubdirectory("smtp-sink-").FullName;
        var psi = new ProcessStartInfo("smtp-sink") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-u", "root", "-d", Path.Combine(directory, "%M.") }.Concat(extraOptions).Concat([$"127.0.0.1:{port}", "500"]))
        {
            psi.ArgumentList.Add(a);
        }

        var process = ChildProcess.Start(psi);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var sink = new SmtpSink(process, port, directory);
        for (int i = 0; i < 100; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"smtp-sink exited with {process.ExitCode}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return sink;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        await sink.DisposeAsync();
        throw new TimeoutException($"smtp-sink did not listen on {port}");
    }

    /// <summary>Every transaction dumped so far whose file is complete (ends with the empty line smtp-sink appends).</summary>
    public IReadOnlyList<SinkMessage> Messages()
    {
        var list = new List<SinkMessage>();
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory).Order(StringComparer.Ordinal))
        {
            byte[] bytes;
            try
            {
                if (File.GetLastWriteTimeUtc(file) > DateTime.UtcNow.AddMilliseconds(-300))
                {
                    continue; // possibly still being written
                }

                bytes = File.ReadAllBytes(file);
            }
            catch (IOException)
            {
                continue;
            }

            if (Parse(file, bytes) is { } m)
            {
                list.Add(m);
            }
        }

        return list;
    }

    /// <summary>Waits until the transactions naming this recipient have arrived (at least <paramref name="count"/>).</summary>
    public async Task<IReadOnlyList<SinkMessage>> WaitForAsync(string recipient, TimeSpan timeout, int count = 1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = Messages().Where(m => m.Recipients.Contains(recipient, StringComparer.OrdinalIgnoreCase)).ToArray();
            if (found.Length >= count || DateTime.UtcNow > deadline)
            {
                return found;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>CRLF → LF: what smtp-sink stores for a message sent with CRLF line ends.</summary>
    /// <summary>Number of dump files (one per message; a file may still be being written).</summary>
    public int FileCount => System.IO.Directory.Exists(Directory) ? System.IO.Directory.EnumerateFiles(Directory).Count() : 0;

    /// <summary>Our queue id of every completely received message (read from our Received: header), with duplicates.</summary>
    public List<string> QueueIds()
    {
        var ids = new List<string>();
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory))
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException)
            {
                continue;
            }

            if (SmtpSinkServer.PipelineQueueId(text) is { } id)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    public static byte[] ToLf(byte[] crlf) => Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(crlf).Replace("\r\n", "\n", StringComparison.Ordinal));

    private static SinkMessage? Parse(string file, byte[] bytes)
    {
        // Complete: the dump ends with the message's last line end and one empty line.
        if (bytes.Length < 2 || bytes[^1] != (byte)'\n' || bytes[^2] != (byte)'\n')
        {
            return null;
        }

        string text = Encoding.Latin1.GetString(bytes);
        string helo = "", mail = "";
        var rcpts = new List<string>();
        int pos = 0;
        bool inReceived = false;
        while (pos < text.Length)
        {
            int lf = text.IndexOf('\n', pos);
            if (lf < 0)
            {
                return null;
            }

            string line = text[pos..lf];
            if (inReceived && !line.StartsWith('\t') && !line.StartsWith(' '))
            {
                break; // the first line of the message itself
            }

            pos = lf + 1;
            if (line.StartsWith("X-Helo-Args: ", StringComparison.Ordinal))
            {
                helo = line[13..];
            }
            else if (line.StartsWith("X-Mail-Args: ", StringComparison.Ordinal))
            {
                mail = line[13..];
            }
            else if (line.StartsWith("X-Rcpt-Args: ", StringComparison.Ordinal))
            {
                rcpts.Add(line[13..]);
            }
            else if (line.StartsWith("Received: ", StringComparison.Ordinal))
            {
                inReceived = true;
            }
        }

        byte[] content = bytes[pos..^1]; // without the empty line smtp-sink appends
        return new SinkMessage(file, helo, mail, rcpts, content);
    }

    public async ValueTask DisposeAsync()
    {
        // Bounded: an smtp-sink that outlives SIGKILL (or a child holding its output) must not hang the run.
        await ProcessTree.KillAsync(_process);

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
