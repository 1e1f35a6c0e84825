using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using EmailPipeline.Queue.State;

namespace EmailPipeline.Cli;

/// <summary>How queue records are printed: a mailq-like table for people, JSON for scripts.</summary>
public static class QueueOutput
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static void WriteTable(TextWriter output, IReadOnlyList<MessageRecord> messages, DateTimeOffset now)
    {
        if (messages.Count == 0)
        {
            output.WriteLine("Mail queue is empty");
            return;
        }

        output.WriteLine("-Queue ID-                  -Age- --Size-- -Sender/Recipient-----------------");
        foreach (MessageRecord m in messages)
        {
            // As in mailq: a mark after the id says the message will not move on its own.
            string mark = m.Held ? "!" : m.BounceRequested ? "-" : " ";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{m.MessageId}{mark} {Age(now - m.ReceivedAt),5} {m.Size,8} {(m.Sender.Length == 0 ? "<>" : Shown(m.Sender))}"));
            foreach (RecipientRecord r in m.Recipients)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {State(r.State),-9} {Shown(r.Address)}"));
                if (r.LastReplyCode is not null)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"              ({Shown(r.LastDiagnostic)}{(r.LastRemoteHost is null ? "" : $" from {Shown(r.LastRemoteHost)}")})"));
                }
            }

            output.WriteLine();
        }

        int recipients = messages.Sum(m => m.Recipients.Count);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"-- {messages.Sum(m => m.Size) / 1024} Kbytes in {messages.Count} Requests, {recipients} Recipients."));
    }

    public static void WriteMessage(TextWriter output, MessageRecord m, IReadOnlyList<AttemptRecord> attempts, DateTimeOffset now)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"Queue ID:   {m.MessageId}"));
        output.WriteLine(string.Create(c, $"Sender:     {(m.Sender.Length == 0 ? "<>" : Shown(m.Sender))}"));
        output.WriteLine(string.Create(c, $"Received:   {m.ReceivedAt:u} ({Age(now - m.ReceivedAt)} ago)"));
        output.WriteLine(string.Create(c, $"Size:       {m.Size}"));
        output.WriteLine(string.Create(c, $"ENVID:      {Shown(m.EnvelopeId ?? "-")}  RET: {m.Return}  SMTPUTF8: {(m.SmtpUtf8 ? "yes" : "no")}"));
        var flags = new List<string>();
        if (m.Held) { flags.Add("held"); }
        if (m.FlushRequested) { flags.Add("flush requested"); }
        if (m.BounceRequested) { flags.Add("bounce requested"); }
        if (m.DelayDsnSent) { flags.Add("delay DSN sent"); }
        output.WriteLine(string.Create(c, $"Flags:      {(flags.Count == 0 ? "-" : string.Join(", ", flags))}"));
        output.WriteLine("Recipients:");
        foreach (RecipientRecord r in m.Recipients)
        {
            string next = r.NextAttemptAt is { } n ? $", next attempt {n:u}" : "";
            output.WriteLine(string.Create(c, $"  {Shown(r.Address)}  {State(r.State)}, {r.Attempts} attempt(s){next}, NOTIFY={r.Notify}{(r.OriginalRecipient is null ? "" : $", ORCPT={Shown(r.OriginalRecipient)}")}"));
            if (r.LastReplyCode is not null)
            {
                output.WriteLine(string.Create(c, $"    last reply: {r.LastReplyCode} {Shown(r.LastEnhancedStatus)} {Shown(r.LastDiagnostic)}{(r.LastRemoteHost is null ? "" : $" ({Shown(r.LastRemoteHost)})")}"));
            }
        }

        output.WriteLine(attempts.Count == 0 ? "Attempts:   none" : "Attempts:");
        foreach (AttemptRecord a in attempts)
        {
            output.WriteLine(string.Create(c,
                $"  #{a.AttemptNumber} {a.AttemptedAt:u} {Shown(a.Recipient)} {a.Outcome.ToString().ToLowerInvariant()}: {a.ReplyCode} {Shown(a.EnhancedStatus)} {Shown(a.Diagnostic)}{(a.RemoteHost is null ? "" : $" ({Shown(a.RemoteHost)})")} [attempt {a.AttemptId}]"));
        }
    }

    /// <summary>
    /// Text a remote peer or a sender chose (replies, host names, addresses, ENVID) as it may be shown on a terminal:
    /// control characters become visible escapes (\x1B), so a reply cannot move the cursor, clear the screen or
    /// forge lines of this output.
    /// </summary>
    public static string Shown(string? text)
    {
        if (string.IsNullOrEmpty(text) || !text.Any(char.IsControl))
        {
            return text ?? "";
        }

        var shown = new System.Text.StringBuilder(text.Length + 8);
        foreach (char ch in text)
        {
            shown.Append(char.IsControl(ch) ? string.Create(CultureInfo.InvariantCulture, $"\\x{(int)ch:X2}") : ch);
        }

        return shown.ToString();
    }

    public static string State(RecipientState state) => state.ToString().ToLowerInvariant();

    public static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }

        return age.TotalMinutes < 1 ? $"{(int)age.TotalSeconds}s"
            : age.TotalHours < 1 ? $"{(int)age.TotalMinutes}m"
            : age.TotalDays < 2 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }
}
