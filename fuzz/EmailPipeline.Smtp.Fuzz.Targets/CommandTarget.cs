using EmailPipeline.Smtp.Addresses;
using EmailPipeline.Smtp.Parsing;

namespace EmailPipeline.Smtp.Fuzz;

/// <summary>
/// The command target: every CR LF-separated line goes through <see cref="SmtpCommandParser"/>, and the
/// line, its path between angle brackets and its parameter values through the address and xtext parsers.
/// </summary>
public static class CommandTarget
{
    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    public static void Run(ReadOnlySpan<byte> input)
    {
        while (true)
        {
            int crlf = input.IndexOf(Crlf);
            ReadOnlySpan<byte> line = crlf < 0 ? input : input[..crlf];
            Line(line);
            if (crlf < 0)
            {
                return;
            }

            input = input[(crlf + 2)..];
        }
    }

    private static void Line(ReadOnlySpan<byte> line)
    {
        SmtpCommandParseResult result = SmtpCommandParser.Parse(line);
        if (result.IsSuccess)
        {
            FuzzInvariantException.Check(result.Error is null, "a parse result holds both a command and an error");
            CheckCommand(result.Command);
        }
        else
        {
            // Error is non-null here by the result's contract; the reply must be a well-formed refusal.
            var reply = result.Error.Value;
            FuzzInvariantException.Check(reply.Code is >= 400 and <= 599, $"refusal with code {reply.Code}");
            FuzzInvariantException.Check(reply.Code / 100 == reply.Status.Class, $"reply {reply.Code} with enhanced code {reply.Status}");
            FuzzInvariantException.Check(!string.IsNullOrEmpty(reply.Text), "refusal without text");
        }

        FuzzInvariantException.Check(result.ToString() is not null, "ToString returned null");

        Addresses(line);
        int open = line.IndexOf((byte)'<');
        if (open >= 0)
        {
            int close = line[open..].IndexOf((byte)'>');
            ReadOnlySpan<byte> path = close < 0 ? line[(open + 1)..] : line[(open + 1)..(open + close)];
            Addresses(path);
        }

        foreach (Range token in line.Split((byte)' '))
        {
            ReadOnlySpan<byte> word = line[token];
            int equals = word.IndexOf((byte)'=');
            XtextRoundTrip(equals < 0 ? word : word[(equals + 1)..]);
        }
    }

    private static void CheckCommand(SmtpCommand command)
    {
        FuzzInvariantException.Check(command.ToString() is not null, "command ToString returned null");
        switch (command)
        {
            case MailCommand { ReversePath: { } sender }:
                MailboxRoundTrip(sender);
                break;
            case RcptCommand { ForwardPath: { } recipient }:
                MailboxRoundTrip(recipient);
                break;
            case BdatCommand bdat:
                FuzzInvariantException.Check(bdat.Size >= 0, $"BDAT size {bdat.Size}");
                break;
        }
    }

    /// <summary>The whole span as a mailbox and as a domain, and the part after the last '@' as a domain.</summary>
    private static void Addresses(ReadOnlySpan<byte> text)
    {
        bool strict = Mailbox.TryParse(text, allowUtf8: false, out Mailbox? ascii);
        bool utf8 = Mailbox.TryParse(text, allowUtf8: true, out Mailbox? international);
        if (strict)
        {
            // Allowing UTF-8 only ever widens what is accepted, and never changes an ASCII address.
            FuzzInvariantException.Check(utf8 && international == ascii, "a mailbox valid without SMTPUTF8 fails or differs with it");
            FuzzInvariantException.Check(!ascii!.IsInternational, "a mailbox accepted without SMTPUTF8 is international");
        }

        if (utf8)
        {
            MailboxRoundTrip(international!);
        }

        Domain(text);
        int at = text.LastIndexOf((byte)'@');
        if (at >= 0)
        {
            Domain(text[(at + 1)..]);
        }
    }

    private static void Domain(ReadOnlySpan<byte> text)
    {
        bool strict = SmtpDomain.TryParse(text, allowUtf8: false, out SmtpDomain? ascii);
        bool utf8 = SmtpDomain.TryParse(text, allowUtf8: true, out SmtpDomain? international);
        if (strict)
        {
            FuzzInvariantException.Check(utf8 && international == ascii, "a domain valid without SMTPUTF8 fails or differs with it");
            FuzzInvariantException.Check(!ascii!.IsInternational, "a domain accepted without SMTPUTF8 is international");
        }

        if (utf8)
        {
            // Value and Ascii are what leaves the parser (queue, policy, delivery); both must read back as the same domain.
            FuzzInvariantException.Check(
                SmtpDomain.TryParse(international!.Value, allowUtf8: true, out SmtpDomain? again) && again == international,
                $"domain value '{international.Value}' does not parse back to itself");
            FuzzInvariantException.Check(
                SmtpDomain.TryParse(international.Ascii, allowUtf8: true, out SmtpDomain? canonical) && canonical == international,
                $"canonical form '{international.Ascii}' does not parse back to the same domain");
        }
    }

    /// <summary>A mailbox leaves the parser as text (queue messages, delivery); that text must parse back to it.</summary>
    private static void MailboxRoundTrip(Mailbox mailbox)
    {
        string text = mailbox.ToString();
        FuzzInvariantException.Check(
            Mailbox.TryParse(text, allowUtf8: true, out Mailbox? again) && again == mailbox,
            $"mailbox '{text}' does not parse back to itself");
    }

    private static void XtextRoundTrip(ReadOnlySpan<byte> text)
    {
        if (!Xtext.TryDecode(text, out string? value))
        {
            return;
        }

        string encoded = Xtext.Encode(value);
        FuzzInvariantException.Check(
            Xtext.TryDecode(System.Text.Encoding.ASCII.GetBytes(encoded), out string? decoded) && decoded == value,
            "xtext does not survive decode, encode, decode");
    }
}
