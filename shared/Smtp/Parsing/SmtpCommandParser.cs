using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;
using EmailPipeline.Smtp.Addresses;
using EmailPipeline.Smtp.Replies;

namespace EmailPipeline.Smtp.Parsing;

/// <summary>
/// Parses one SMTP command line (RFC 5321 §4.1 with the ESMTP extensions this server offers) into an
/// <see cref="SmtpCommand"/> or the reply that refuses it. Pure: no I/O, no session state, never throws
/// on any input. Which commands are allowed when (and whether SMTPUTF8 or an extension was offered) is
/// the session's call.
/// </summary>
/// <remarks>
/// Deliberately liberal where real clients differ and nothing is ambiguous, as Postfix is: trailing
/// spaces and tabs are ignored, extra spaces before an argument are skipped, one space may follow
/// "FROM:" / "TO:", and source routes are accepted and dropped (RFC 5321 §4.1.2, Appendix C).
/// </remarks>
public static class SmtpCommandParser
{
    private const int MaxEnvelopeIdLength = 100;
    private const int MaxOriginalRecipientLength = 500;
    private const int MaxMechanismLength = 20;

    public static SmtpCommandParseResult Parse(ReadOnlySpan<byte> line)
    {
        line = line.TrimEnd(" \t"u8);
        if (line.Contains((byte)0))
        {
            // A NUL has no place in SMTP and hints at a smuggling or injection attempt.
            return Fail(SmtpReplies.InvalidCharacter);
        }

        int space = line.IndexOf((byte)' ');
        ReadOnlySpan<byte> verb = space < 0 ? line : line[..space];
        ReadOnlySpan<byte> argument = space < 0 ? default : line[(space + 1)..].TrimStart((byte)' ');

        if (verb.Length == 4)
        {
            if (Ascii.EqualsIgnoreCase(verb, "MAIL"u8))
            {
                return ParseMail(argument);
            }

            if (Ascii.EqualsIgnoreCase(verb, "RCPT"u8))
            {
                return ParseRcpt(argument);
            }

            if (Ascii.EqualsIgnoreCase(verb, "DATA"u8))
            {
                return NoArgument(DataCommand.Instance, argument);
            }

            if (Ascii.EqualsIgnoreCase(verb, "BDAT"u8))
            {
                return ParseBdat(argument);
            }

            if (Ascii.EqualsIgnoreCase(verb, "EHLO"u8))
            {
                return ParseHelo(argument, extended: true);
            }

            if (Ascii.EqualsIgnoreCase(verb, "HELO"u8))
            {
                return ParseHelo(argument, extended: false);
            }

            if (Ascii.EqualsIgnoreCase(verb, "RSET"u8))
            {
                return NoArgument(RsetCommand.Instance, argument);
            }

            if (Ascii.EqualsIgnoreCase(verb, "NOOP"u8))
            {
                return SmtpCommandParseResult.Success(NoopCommand.Instance);
            }

            if (Ascii.EqualsIgnoreCase(verb, "QUIT"u8))
            {
                return NoArgument(QuitCommand.Instance, argument);
            }

            if (Ascii.EqualsIgnoreCase(verb, "AUTH"u8))
            {
                return ParseAuth(argument);
            }

            if (Ascii.EqualsIgnoreCase(verb, "VRFY"u8))
            {
                return TryText(argument, out string? vrfy) && vrfy.Length > 0
                    ? SmtpCommandParseResult.Success(new VrfyCommand(vrfy))
                    : Fail(SmtpReplies.VrfySyntax);
            }

            if (Ascii.EqualsIgnoreCase(verb, "EXPN"u8))
            {
                return TryText(argument, out string? expn) && expn.Length > 0
                    ? SmtpCommandParseResult.Success(new ExpnCommand(expn))
                    : Fail(SmtpReplies.ExpnSyntax);
            }

            if (Ascii.EqualsIgnoreCase(verb, "HELP"u8))
            {
                return TryText(argument, out string? topic)
                    ? SmtpCommandParseResult.Success(new HelpCommand(topic.Length == 0 ? null : topic))
                    : Fail(SmtpReplies.HelpSyntax);
            }
        }
        else if (verb.Length == 8 && Ascii.EqualsIgnoreCase(verb, "STARTTLS"u8))
        {
            return NoArgument(StartTlsCommand.Instance, argument);
        }

        return Fail(SmtpReplies.CommandUnrecognized);
    }

    private static SmtpCommandParseResult Fail(SmtpReply reply) => SmtpCommandParseResult.Failure(reply);

    private static SmtpCommandParseResult NoArgument(SmtpCommand command, ReadOnlySpan<byte> argument) =>
        argument.IsEmpty ? SmtpCommandParseResult.Success(command) : Fail(SmtpReplies.NoArgumentsAllowed);

    private static SmtpCommandParseResult ParseHelo(ReadOnlySpan<byte> argument, bool extended)
    {
        if (argument.IsEmpty || argument.IndexOfAny(" \t"u8) >= 0 || !TryText(argument, out string? domain))
        {
            return Fail(SmtpReplies.HeloSyntax);
        }

        return SmtpCommandParseResult.Success(new HeloCommand(domain, extended));
    }

    private static SmtpCommandParseResult ParseMail(ReadOnlySpan<byte> argument)
    {
        if (!TrySplitPath(argument, "FROM:"u8, out ReadOnlySpan<byte> path, out ReadOnlySpan<byte> rest, out bool terminated))
        {
            return Fail(SmtpReplies.MailSyntax);
        }

        if (!terminated)
        {
            return Fail(SmtpReplies.BadSenderAddress);
        }

        Mailbox? sender = null;
        if (!path.IsEmpty)
        {
            if (!TrySkipSourceRoute(ref path) || !Mailbox.TryParse(path, allowUtf8: true, out sender))
            {
                return Fail(SmtpReplies.BadSenderAddress);
            }
        }

        MailParameters parameters = MailParameters.None;
        if (!rest.IsEmpty)
        {
            SmtpReply? error = ParseMailParameters(rest, out parameters);
            if (error is { } reply)
            {
                return Fail(reply);
            }
        }

        return SmtpCommandParseResult.Success(new MailCommand(sender, parameters));
    }

    private static SmtpCommandParseResult ParseRcpt(ReadOnlySpan<byte> argument)
    {
        if (!TrySplitPath(argument, "TO:"u8, out ReadOnlySpan<byte> path, out ReadOnlySpan<byte> rest, out bool terminated))
        {
            return Fail(SmtpReplies.RcptSyntax);
        }

        if (!terminated || path.IsEmpty)
        {
            return Fail(SmtpReplies.BadRecipientAddress);
        }

        Mailbox? recipient = null;
        if (!Ascii.EqualsIgnoreCase(path, "postmaster"u8)
            && (!TrySkipSourceRoute(ref path) || !Mailbox.TryParse(path, allowUtf8: true, out recipient)))
        {
            return Fail(SmtpReplies.BadRecipientAddress);
        }

        RcptParameters parameters = RcptParameters.None;
        if (!rest.IsEmpty)
        {
            SmtpReply? error = ParseRcptParameters(rest, out parameters);
            if (error is { } reply)
            {
                return Fail(reply);
            }
        }

        return SmtpCommandParseResult.Success(new RcptCommand(recipient, parameters));
    }

    /// <summary>
    /// Splits <c>FROM:&lt;path&gt; params</c>. False when the shape is wrong (no keyword, no '&lt;', junk
    /// after '&gt;'); <paramref name="terminated"/> false when the path never closes, which is an address
    /// error rather than a command syntax error.
    /// </summary>
    private static bool TrySplitPath(
        ReadOnlySpan<byte> argument,
        ReadOnlySpan<byte> keyword,
        out ReadOnlySpan<byte> path,
        out ReadOnlySpan<byte> rest,
        out bool terminated)
    {
        path = default;
        rest = default;
        terminated = false;
        if (argument.Length < keyword.Length || !Ascii.EqualsIgnoreCase(argument[..keyword.Length], keyword))
        {
            return false;
        }

        ReadOnlySpan<byte> remainder = argument[keyword.Length..];
        if (!remainder.IsEmpty && remainder[0] == (byte)' ')
        {
            remainder = remainder[1..];
        }

        if (remainder.IsEmpty || remainder[0] != (byte)'<')
        {
            return false;
        }

        int end = FindPathEnd(remainder);
        if (end < 0)
        {
            return true;
        }

        rest = remainder[(end + 1)..];
        if (!rest.IsEmpty && rest[0] != (byte)' ')
        {
            return false;
        }

        path = remainder[1..end];
        terminated = true;
        return true;
    }

    /// <summary>Index of the '&gt;' closing the path, skipping any inside a quoted local part.</summary>
    private static int FindPathEnd(ReadOnlySpan<byte> text)
    {
        bool quoted = false;
        for (int i = 1; i < text.Length; i++)
        {
            byte b = text[i];
            if (quoted)
            {
                if (b == (byte)'\\')
                {
                    i++;
                }
                else if (b == (byte)'"')
                {
                    quoted = false;
                }
            }
            else if (b == (byte)'"')
            {
                quoted = true;
            }
            else if (b == (byte)'>')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Drops an RFC 5321 A-d-l (<c>@a.example,@b.example:</c>) after checking its syntax; relays must
    /// ignore source routes (Appendix C), but a malformed one still makes a malformed path.
    /// </summary>
    private static bool TrySkipSourceRoute(ref ReadOnlySpan<byte> path)
    {
        if (path.IsEmpty || path[0] != (byte)'@')
        {
            return true;
        }

        int i = 0;
        while (true)
        {
            if (i >= path.Length || path[i] != (byte)'@')
            {
                return false;
            }

            int start = ++i;
            if (i < path.Length && path[i] == (byte)'[')
            {
                int close = path[i..].IndexOf((byte)']');
                if (close < 0)
                {
                    return false;
                }

                i += close + 1;
            }
            else
            {
                int stop = path[i..].IndexOfAny(",:"u8);
                if (stop < 0)
                {
                    return false;
                }

                i += stop;
            }

            if (!SmtpDomain.TryParse(path[start..i], allowUtf8: true, out _) || i >= path.Length)
            {
                return false;
            }

            if (path[i] == (byte)':')
            {
                path = path[(i + 1)..];
                return true;
            }

            if (path[i] != (byte)',')
            {
                return false;
            }

            i++;
        }
    }

    [Flags]
    private enum Seen
    {
        None = 0,
        Size = 1,
        Body = 2,
        SmtpUtf8 = 4,
        Ret = 8,
        EnvId = 16,
        Auth = 32,
        Notify = 64,
        Orcpt = 128,
    }

    private static SmtpReply? ParseMailParameters(ReadOnlySpan<byte> text, out MailParameters parameters)
    {
        parameters = MailParameters.None;
        long? size = null;
        BodyParameter body = BodyParameter.NotGiven;
        bool smtpUtf8 = false;
        DsnReturnParameter ret = DsnReturnParameter.NotGiven;
        string? envelopeId = null;
        string? auth = null;
        Seen seen = Seen.None;

        while (NextParameter(ref text, out ReadOnlySpan<byte> keyword, out ReadOnlySpan<byte> value, out bool hasValue, out SmtpReply? syntaxError))
        {
            if (syntaxError is not null)
            {
                return syntaxError;
            }

            Seen current;
            SmtpReply? error;
            if (Ascii.EqualsIgnoreCase(keyword, "SIZE"u8))
            {
                current = Seen.Size;
                error = hasValue && TryParseDigits(value, out long parsed) ? Set(ref size, parsed) : SmtpReplies.BadSizeParameter;
            }
            else if (Ascii.EqualsIgnoreCase(keyword, "BODY"u8))
            {
                current = Seen.Body;
                body = !hasValue ? BodyParameter.NotGiven
                    : Ascii.EqualsIgnoreCase(value, "7BIT"u8) ? BodyParameter.SevenBit
                    : Ascii.EqualsIgnoreCase(value, "8BITMIME"u8) ? BodyParameter.EightBitMime
                    : Ascii.EqualsIgnoreCase(value, "BINARYMIME"u8) ? BodyParameter.BinaryMime
                    : BodyParameter.NotGiven;
                error = body == BodyParameter.NotGiven ? SmtpReplies.BadBodyParameter : null;
            }
            else if (Ascii.EqualsIgnoreCase(keyword, "SMTPUTF8"u8))
            {
                current = Seen.SmtpUtf8;
                smtpUtf8 = true;
                error = hasValue ? SmtpReplies.BadSmtpUtf8Parameter : null;
            }
            else if (Ascii.EqualsIgnoreCase(keyword, "RET"u8))
            {
                current = Seen.Ret;
                ret = !hasValue ? DsnReturnParameter.NotGiven
                    : Ascii.EqualsIgnoreCase(value, "FULL"u8) ? DsnReturnParameter.Full
                    : Ascii.EqualsIgnoreCase(value, "HDRS"u8) ? DsnReturnParameter.Headers
                    : DsnReturnParameter.NotGiven;
                error = ret == DsnReturnParameter.NotGiven ? SmtpReplies.BadRetParameter : null;
            }
            else if (Ascii.EqualsIgnoreCase(keyword, "ENVID"u8))
            {
                current = Seen.EnvId;
                error = hasValue && Xtext.TryDecode(value, out envelopeId)
                    && envelopeId.Length <= MaxEnvelopeIdLength && IsPrintableAscii(envelopeId)
                    ? null
                    : SmtpReplies.BadEnvidParameter;
            }
            else if (Ascii.EqualsIgnoreCase(keyword, "AUTH"u8))
            {
                current = Seen.Auth;
                if (hasValue && value.SequenceEqual("<>"u8))
                {
                    auth = "<>";
                    error = null;
                }
                else
                {
                    error = hasValue && Xtext.TryDecode(value, out auth) && auth.Length > 0 ? null : SmtpReplies.BadAuthParameter;
                }
            }
            else
            {
                return SmtpReplies.UnsupportedParameter;
            }

            if ((seen & current) != 0)
            {
                return SmtpReplies.DuplicateParameter;
            }

            if (error is not null)
            {
                return error;
            }

            seen |= current;
        }

        if (seen != Seen.None)
        {
            parameters = new MailParameters
            {
                Size = size,
                Body = body,
                SmtpUtf8 = smtpUtf8,
                Return = ret,
                EnvelopeId = envelopeId,
                Auth = auth,
            };
        }

        return null;
    }

    private static SmtpReply? ParseRcptParameters(ReadOnlySpan<byte> text, out RcptParameters parameters)
    {
        parameters = RcptParameters.None;
        NotifyParameter notify = NotifyParameter.NotGiven;
        string? originalRecipient = null;
        Seen seen = Seen.None;

        while (NextParameter(ref text, out ReadOnlySpan<byte> keyword, out ReadOnlySpan<byte> value, out bool hasValue, out SmtpReply? syntaxError))
        {
            if (syntaxError is not null)
            {
                return syntaxError;
            }

            Seen current;
            SmtpReply? error;
            if (Ascii.EqualsIgnoreCase(keyword, "NOTIFY"u8))
            {
                current = Seen.Notify;
                error = hasValue && TryParseNotify(value, out notify) ? null : SmtpReplies.BadNotifyParameter;
            }
            else if (Ascii.EqualsIgnoreCase(keyword, "ORCPT"u8))
            {
                current = Seen.Orcpt;
                error = hasValue && TryParseOriginalRecipient(value, out originalRecipient) ? null : SmtpReplies.BadOrcptParameter;
            }
            else
            {
                return SmtpReplies.UnsupportedParameter;
            }

            if ((seen & current) != 0)
            {
                return SmtpReplies.DuplicateParameter;
            }

            if (error is not null)
            {
                return error;
            }

            seen |= current;
        }

        if (seen != Seen.None)
        {
            parameters = new RcptParameters { Notify = notify, OriginalRecipient = originalRecipient };
        }

        return null;
    }

    private static SmtpReply? Set(ref long? target, long value)
    {
        target = value;
        return null;
    }

    /// <summary>
    /// Takes the next <c>esmtp-keyword ["=" esmtp-value]</c> (RFC 5321 §4.1.2) off <paramref name="text"/>.
    /// Returns false at the end; sets <paramref name="syntaxError"/> for a malformed keyword or value.
    /// </summary>
    private static bool NextParameter(
        ref ReadOnlySpan<byte> text,
        out ReadOnlySpan<byte> keyword,
        out ReadOnlySpan<byte> value,
        out bool hasValue,
        out SmtpReply? syntaxError)
    {
        keyword = default;
        value = default;
        hasValue = false;
        syntaxError = null;
        text = text.TrimStart((byte)' ');
        if (text.IsEmpty)
        {
            return false;
        }

        int space = text.IndexOf((byte)' ');
        ReadOnlySpan<byte> token = space < 0 ? text : text[..space];
        text = space < 0 ? default : text[space..];

        int equals = token.IndexOf((byte)'=');
        keyword = equals < 0 ? token : token[..equals];
        if (equals >= 0)
        {
            hasValue = true;
            value = token[(equals + 1)..];
        }

        if (keyword.IsEmpty || !char.IsAsciiLetterOrDigit((char)keyword[0])
            || keyword.IndexOfAnyExcept("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"u8) >= 0
            || (hasValue && (value.IsEmpty || !IsEsmtpValue(value))))
        {
            syntaxError = SmtpReplies.ParameterSyntax;
        }

        return true;
    }

    /// <summary>esmtp-value = 1*(%d33-60 / %d62-126); none of our parameters needs RFC 6531 UTF-8 values.</summary>
    private static bool IsEsmtpValue(ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            if (b is < 33 or > 126 or (byte)'=')
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryParseNotify(ReadOnlySpan<byte> value, out NotifyParameter notify)
    {
        notify = NotifyParameter.NotGiven;
        foreach (Range range in value.Split((byte)','))
        {
            ReadOnlySpan<byte> item = value[range];
            NotifyParameter flag = Ascii.EqualsIgnoreCase(item, "NEVER"u8) ? NotifyParameter.Never
                : Ascii.EqualsIgnoreCase(item, "SUCCESS"u8) ? NotifyParameter.Success
                : Ascii.EqualsIgnoreCase(item, "FAILURE"u8) ? NotifyParameter.Failure
                : Ascii.EqualsIgnoreCase(item, "DELAY"u8) ? NotifyParameter.Delay
                : NotifyParameter.NotGiven;
            if (flag == NotifyParameter.NotGiven)
            {
                return false;
            }

            notify |= flag;
        }

        // RFC 3461 §4.1: NEVER excludes every other keyword.
        return notify != NotifyParameter.NotGiven
            && (notify == NotifyParameter.Never || (notify & NotifyParameter.Never) == 0);
    }

    /// <summary>ORCPT = addr-type ";" xtext, addr-type an RFC 5322 atom.</summary>
    private static bool TryParseOriginalRecipient(ReadOnlySpan<byte> value, out string? originalRecipient)
    {
        originalRecipient = null;
        int semicolon = value.IndexOf((byte)';');
        if (value.Length > MaxOriginalRecipientLength || semicolon <= 0 || semicolon == value.Length - 1)
        {
            return false;
        }

        ReadOnlySpan<byte> addressType = value[..semicolon];
        foreach (byte b in addressType)
        {
            if (!Mailbox.IsAtext(b))
            {
                return false;
            }
        }

        // Decoded, the address goes into a DSN's Original-Recipient field: a CR or LF there would write header
        // fields of the sender's choosing into our DSN, and no address holds a control character anyway.
        if (!Xtext.TryDecode(value[(semicolon + 1)..], out string? address) || address.Length == 0 || address.Any(char.IsControl))
        {
            return false;
        }

        originalRecipient = Encoding.ASCII.GetString(addressType) + ";" + address;
        return true;
    }

    private static SmtpCommandParseResult ParseBdat(ReadOnlySpan<byte> argument)
    {
        int space = argument.IndexOf((byte)' ');
        ReadOnlySpan<byte> size = space < 0 ? argument : argument[..space];
        ReadOnlySpan<byte> rest = space < 0 ? default : argument[(space + 1)..].TrimStart((byte)' ');
        bool last = false;
        if (!rest.IsEmpty)
        {
            if (!Ascii.EqualsIgnoreCase(rest, "LAST"u8))
            {
                return Fail(SmtpReplies.BdatSyntax);
            }

            last = true;
        }

        return TryParseDigits(size, out long chunk)
            ? SmtpCommandParseResult.Success(new BdatCommand(chunk, last))
            : Fail(SmtpReplies.BdatSyntax);
    }

    private static SmtpCommandParseResult ParseAuth(ReadOnlySpan<byte> argument)
    {
        int space = argument.IndexOf((byte)' ');
        ReadOnlySpan<byte> mechanism = space < 0 ? argument : argument[..space];
        ReadOnlySpan<byte> response = space < 0 ? default : argument[(space + 1)..].TrimStart((byte)' ');

        // RFC 4954 §4: sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_"), matched case-insensitively.
        if (mechanism.IsEmpty || mechanism.Length > MaxMechanismLength
            || mechanism.IndexOfAnyExcept("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"u8) >= 0)
        {
            return Fail(SmtpReplies.AuthSyntax);
        }

        string? initialResponse = null;
        if (!response.IsEmpty)
        {
            if (response.IndexOfAnyExcept("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="u8) >= 0)
            {
                return Fail(SmtpReplies.AuthSyntax);
            }

            initialResponse = Encoding.ASCII.GetString(response);
        }

        Span<char> name = stackalloc char[MaxMechanismLength];
        _ = Ascii.ToUpper(mechanism, name, out int written);
        return SmtpCommandParseResult.Success(new AuthCommand(new string(name[..written]), initialResponse));
    }

    /// <summary>Digits only (no sign, no spaces), at most <see cref="long.MaxValue"/>.</summary>
    private static bool TryParseDigits(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty)
        {
            return false;
        }

        foreach (byte b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            int digit = b - '0';
            if (value > (long.MaxValue - digit) / 10)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }

    /// <summary>Free text (VRFY, EXPN, HELP, HELO argument): valid UTF-8 without control characters.</summary>
    private static bool TryText(ReadOnlySpan<byte> text, [NotNullWhen(true)] out string? value)
    {
        value = null;
        foreach (byte b in text)
        {
            if (b is < 32 and not (byte)'\t' or 127)
            {
                return false;
            }
        }

        if (!Utf8.IsValid(text))
        {
            return false;
        }

        value = text.IsEmpty ? string.Empty : Encoding.UTF8.GetString(text);
        return true;
    }

    private static bool IsPrintableAscii(string text)
    {
        foreach (char c in text)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
