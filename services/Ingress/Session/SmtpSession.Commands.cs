using System.Diagnostics;
using EmailPipeline.Contracts;
using EmailPipeline.Ingress.Authentication;
using EmailPipeline.Ingress.Configuration;
using EmailPipeline.Ingress.Queueing;
using EmailPipeline.Ingress.Telemetry;
using EmailPipeline.Smtp.Data;
using EmailPipeline.Smtp.Parsing;
using EmailPipeline.Smtp.Replies;

namespace EmailPipeline.Ingress.Session;

/// <summary>What each command does once the state table allowed it.</summary>
internal sealed partial class SmtpSession
{
    private static readonly EnhancedStatusCode NoStatus = default;

    private static SmtpVerb VerbOf(SmtpCommand command) => command switch
    {
        HeloCommand => SmtpVerb.Helo,
        MailCommand => SmtpVerb.Mail,
        RcptCommand => SmtpVerb.Rcpt,
        DataCommand => SmtpVerb.Data,
        BdatCommand => SmtpVerb.Bdat,
        RsetCommand => SmtpVerb.Rset,
        NoopCommand => SmtpVerb.Noop,
        QuitCommand => SmtpVerb.Quit,
        VrfyCommand => SmtpVerb.Vrfy,
        ExpnCommand => SmtpVerb.Expn,
        HelpCommand => SmtpVerb.Help,
        StartTlsCommand => SmtpVerb.StartTls,
        AuthCommand => SmtpVerb.Auth,
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "Unknown command type"),
    };

    private async ValueTask ExecuteCommandAsync(SmtpCommand command)
    {
        SmtpVerb verb = VerbOf(command);
        if (!SessionStateTable.Allows(_state, verb))
        {
            await RefuseOutOfSequenceAsync(command, verb).ConfigureAwait(false);
            return;
        }

        switch (command)
        {
            case HeloCommand helo:
                Helo(helo);
                break;
            case MailCommand mail:
                await MailAsync(mail).ConfigureAwait(false);
                break;
            case RcptCommand rcpt:
                await RcptAsync(rcpt).ConfigureAwait(false);
                break;
            case DataCommand:
                Data();
                break;
            case BdatCommand bdat:
                await BdatAsync(bdat).ConfigureAwait(false);
                break;
            case RsetCommand:
                ResetTransaction();
                Reply(SmtpReplies.ResetOk);
                break;
            case NoopCommand:
                Reply(SmtpReplies.NoopOk);
                break;
            case QuitCommand:
                Reply(SmtpReplies.Bye);
                _closing = true;
                break;
            case VrfyCommand:
                Reply(SmtpReplies.VrfyCannotVerify);
                break;
            case ExpnCommand:
                // Mailing lists are not expanded for strangers (RFC 5321 §7.3 allows turning EXPN off).
                Reply(SmtpReplies.CommandNotImplemented.WithText("EXPN not available"));
                break;
            case HelpCommand:
                Reply(new SmtpReply(214, new EnhancedStatusCode(2, 0, 0), "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH\nSee RFC 5321"));
                break;
            case StartTlsCommand:
                await StartTlsAsync().ConfigureAwait(false);
                break;
            case AuthCommand auth:
                await AuthAsync(auth).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// A command out of sequence gets 503 5.5.1 — but a BDAT must still have its chunk read, or the
    /// chunk's bytes would be taken for commands (RFC 3030 §2).
    /// </summary>
    private async ValueTask RefuseOutOfSequenceAsync(SmtpCommand command, SmtpVerb verb)
    {
        SmtpReply reply = SmtpReplies.BadSequence;
        if (verb is SmtpVerb.Data or SmtpVerb.Bdat && _state == SessionState.Mail && _transaction?.RecipientsAttempted > 0)
        {
            reply = SmtpReplies.NoValidRecipients;
        }
        else if (verb == SmtpVerb.Data && _state == SessionState.Chunking)
        {
            reply = SmtpReplies.BadSequence.WithText("DATA may not follow BDAT in one transaction");
        }
        else if (verb == SmtpVerb.Mail && _state is SessionState.Mail or SessionState.Recipients or SessionState.Chunking)
        {
            reply = SmtpReplies.BadSequence.WithText("Nested MAIL command");
        }
        else if (verb == SmtpVerb.Auth && _user is not null)
        {
            reply = SmtpReplies.AlreadyAuthenticated;
        }
        else if (verb == SmtpVerb.StartTls && _transport.IsTls)
        {
            reply = SmtpReplies.AlreadyTls;
        }
        else if (_state == SessionState.Connected)
        {
            reply = SmtpReplies.BadSequence.WithText("Send EHLO or HELO first");
        }

        if (command is BdatCommand bdat)
        {
            // Read and drop the chunk, then answer; the transaction (if any) is over.
            _chunkRemaining = bdat.Size;
            _chunkLast = bdat.Last;
            _chunkRefusal = reply;
            _contentReader = null;
            if (bdat.Size > 0)
            {
                _mode = InputMode.Chunk;
                return;
            }

            await CompleteChunkAsync().ConfigureAwait(false);
            return;
        }

        await ErrorAsync(reply).ConfigureAwait(false);
    }

    private void Helo(HeloCommand helo)
    {
        ResetTransaction();
        _heloName = helo.Domain;
        _extended = helo.Extended;
        _state = SessionState.Greeted;
        if (!helo.Extended)
        {
            Reply(new SmtpReply(250, NoStatus, _services.Ingress.HostName));
            return;
        }

        var lines = new List<string>(12)
        {
            $"{_services.Ingress.HostName} greets {_heloName}",
            "PIPELINING",
            $"SIZE {_services.Limits.MaxMessageSize}",
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
            "CHUNKING",
            "DSN",
        };
        if (TlsAvailable)
        {
            lines.Add("STARTTLS");
        }

        if (AuthAvailable && _user is null && _services.Authenticator.Mechanisms.Count > 0)
        {
            lines.Add("AUTH " + string.Join(' ', _services.Authenticator.Mechanisms));
        }

        lines.Add("HELP");
        Reply(new SmtpReply(250, NoStatus, string.Join('\n', lines)));
    }

    private async ValueTask MailAsync(MailCommand mail)
    {
        if (IsSubmission && !_transport.IsTls && !_services.Authentication.AllowPlaintextAuthentication)
        {
            await ErrorAsync(SmtpReplies.EncryptionRequired).ConfigureAwait(false);
            return;
        }

        if (_listener.RequireTls && !_transport.IsTls)
        {
            await ErrorAsync(SmtpReplies.EncryptionRequired).ConfigureAwait(false);
            return;
        }

        if (IsSubmission && _user is null)
        {
            await ErrorAsync(SmtpReplies.AuthenticationRequired).ConfigureAwait(false);
            return;
        }

        if (_messages >= _services.Limits.MaxMessagesPerSession)
        {
            Reply(new SmtpReply(421, new EnhancedStatusCode(4, 7, 0), "Too many messages in one session, reconnect"));
            _closing = true;
            return;
        }

        MailParameters p = mail.Parameters;
        if (!_extended && (p.Size is not null || p.Body != BodyParameter.NotGiven || p.SmtpUtf8
                           || p.Return != DsnReturnParameter.NotGiven || p.EnvelopeId is not null || p.Auth is not null))
        {
            // Extensions exist only after EHLO (RFC 5321 §4.1.1.1).
            await ErrorAsync(SmtpReplies.UnsupportedParameter).ConfigureAwait(false);
            return;
        }

        if (p.Body == BodyParameter.BinaryMime)
        {
            await ErrorAsync(SmtpReplies.UnsupportedParameter.WithText("BODY=BINARYMIME not supported")).ConfigureAwait(false);
            return;
        }

        if (p.Size > _services.Limits.MaxMessageSize)
        {
            _services.Metrics.Rejected(_listener.Name, "size");
            await ErrorAsync(SmtpReplies.MessageTooBig).ConfigureAwait(false);
            return;
        }

        if (p.Size is long declared && !_services.BodyBudget.WouldFit(declared))
        {
            // RFC 1870 §6.2 and RFC 3463 4.3.1: no room now for a message this size; the client tries again later.
            _services.Metrics.Rejected(_listener.Name, "insufficient_storage");
            IngressLog.Rejected(_services.Logger, _sessionId, "MAIL", 452, "4.3.1", "body budget full for the declared SIZE");
            await ErrorAsync(SmtpReplies.InsufficientStorage).ConfigureAwait(false);
            return;
        }

        if (mail.ReversePath is { IsInternational: true } && !p.SmtpUtf8)
        {
            await ErrorAsync(SmtpReplies.Utf8NotPermitted).ConfigureAwait(false);
            return;
        }

        string sender = mail.ReversePath?.ToString() ?? "";
        if (_user is not null && !_services.Senders.MaySendAs(_user, sender))
        {
            _services.Metrics.Rejected(_listener.Name, "sender_not_owned");
            await ErrorAsync(SmtpReplies.SenderNotOwned).ConfigureAwait(false);
            return;
        }

        _transaction = new SmtpTransaction(
            sender,
            p.EnvelopeId,
            p.Return switch { DsnReturnParameter.Full => DsnReturn.Full, DsnReturnParameter.Headers => DsnReturn.Headers, _ => DsnReturn.Unspecified },
            p.Body == BodyParameter.EightBitMime ? BodyType.EightBitMime : BodyType.SevenBit,
            p.SmtpUtf8,
            p.Size);
        _state = SessionState.Mail;
        _transactionActivity = IngressMetrics.ActivitySource.StartActivity("smtp.transaction", ActivityKind.Server);
        _transactionActivity?.SetTag("smtp.session_id", _sessionId);
        _transactionActivity?.SetTag("smtp.listener", _listener.Name);
        Reply(SmtpReplies.SenderOk);
    }

    private async ValueTask RcptAsync(RcptCommand rcpt)
    {
        SmtpTransaction transaction = _transaction!;
        transaction.RecipientsAttempted++;
        if (transaction.Recipients.Count >= _services.Limits.MaxRecipients)
        {
            _services.Metrics.Rejected(_listener.Name, "too_many_recipients");
            Reply(SmtpReplies.TooManyRecipients);
            return;
        }

        RcptParameters p = rcpt.Parameters;
        if (!_extended && (p.Notify != NotifyParameter.NotGiven || p.OriginalRecipient is not null))
        {
            await ErrorAsync(SmtpReplies.UnsupportedParameter).ConfigureAwait(false);
            return;
        }

        string address;
        if (rcpt.IsBarePostmaster)
        {
            // RFC 5321 §4.5.1: "Postmaster" without a domain must be accepted.
            address = $"postmaster@{_services.Domains.PostmasterDomain}";
        }
        else
        {
            if (rcpt.ForwardPath.IsInternational && !transaction.SmtpUtf8)
            {
                await ErrorAsync(SmtpReplies.Utf8NotPermitted).ConfigureAwait(false);
                return;
            }

            bool mayRelay = _user is not null;
            if (!mayRelay && (rcpt.ForwardPath.Domain.IsAddressLiteral || !_services.Domains.Accepts(rcpt.ForwardPath.Domain.Ascii)))
            {
                _services.Metrics.Rejected(_listener.Name, "relay_denied");
                IngressLog.Rejected(_services.Logger, _sessionId, "RCPT", 550, "5.7.1", "relaying denied");
                await ErrorAsync(SmtpReplies.RelayDenied).ConfigureAwait(false);
                return;
            }

            address = rcpt.ForwardPath.ToString();
        }

        transaction.Recipients.Add(new EnvelopeRecipient(address, ToDsnNotify(p.Notify), p.OriginalRecipient));
        _state = SessionState.Recipients;
        Reply(SmtpReplies.RecipientOk);
    }

    private static DsnNotify ToDsnNotify(NotifyParameter notify)
    {
        DsnNotify result = DsnNotify.Default;
        if (notify.HasFlag(NotifyParameter.Never))
        {
            result |= DsnNotify.Never;
        }

        if (notify.HasFlag(NotifyParameter.Success))
        {
            result |= DsnNotify.Success;
        }

        if (notify.HasFlag(NotifyParameter.Failure))
        {
            result |= DsnNotify.Failure;
        }

        if (notify.HasFlag(NotifyParameter.Delay))
        {
            result |= DsnNotify.Delay;
        }

        return result;
    }

    private void Data()
    {
        StartContent();
        _mode = InputMode.Data;
        Reply(SmtpReplies.StartMailInput);
    }

    private async ValueTask BdatAsync(BdatCommand bdat)
    {
        if (_state == SessionState.Recipients)
        {
            StartContent();
            _state = SessionState.Chunking;
        }

        _chunkRemaining = bdat.Size;
        _chunkLast = bdat.Last;
        _chunkRefusal = null;
        if (bdat.Size > 0)
        {
            _mode = InputMode.Chunk;
            return;
        }

        // BDAT 0 [LAST]: nothing to read; answer at once.
        await CompleteChunkAsync().ConfigureAwait(false);
    }

    private void StartContent()
    {
        _content?.Dispose();
        _reservation?.Dispose();
        _reservation = new BodyReservation(_services.BodyBudget);
        _content = new MessageContentBuffer(_reservation);
        _contentReader = new MessageContentReader(_content, _services.Limits.MaxMessageSize, _services.Limits.MaxLineLength, _services.Limits.BareLineEndings);
    }

    private async ValueTask CompleteChunkAsync()
    {
        if (_chunkRefusal is { } refusal)
        {
            _chunkRefusal = null;
            ResetTransaction();
            await ErrorAsync(refusal).ConfigureAwait(false);
            return;
        }

        if (_contentReader!.HasError && !_chunkLast)
        {
            // Refuse at the end of the first failing chunk; the client must not send more (RFC 3030 §2).
            SmtpReply failure = ContentFailure(_contentReader);
            ResetTransaction();
            await ErrorAsync(failure).ConfigureAwait(false);
            return;
        }

        if (!_chunkLast)
        {
            Reply(new SmtpReply(250, new EnhancedStatusCode(2, 0, 0), $"{_contentReader.ContentLength} octets received"));
            return;
        }

        _contentReader.CompleteChunks();
        await CompleteMessageAsync().ConfigureAwait(false);
    }

    private SmtpReply ContentFailure(MessageContentReader reader)
    {
        if (reader.TooBig)
        {
            _services.Metrics.Rejected(_listener.Name, "size");
            return SmtpReplies.MessageTooBig;
        }

        if (reader.LineTooLong)
        {
            _services.Metrics.Rejected(_listener.Name, "line_too_long");
            return SmtpReplies.DataLineTooLong.WithText($"Message line longer than {_services.Limits.MaxLineLength} octets");
        }

        if (reader.OverBudget && !(reader.SawBareLineEnding && _services.Limits.BareLineEndings == BareLineEndingMode.Reject))
        {
            // Permanent faults above win: retrying those would fail again. This one is ours and passes.
            _services.Metrics.Rejected(_listener.Name, "insufficient_storage");
            return SmtpReplies.InsufficientStorage;
        }

        _services.Metrics.Rejected(_listener.Name, "bare_line_ending");
        return SmtpReplies.BareLineEnding;
    }

    /// <summary>The end of DATA or BDAT LAST: refuse what broke a limit, else hand over to acceptance.</summary>
    private async ValueTask CompleteMessageAsync()
    {
        MessageContentReader reader = _contentReader!;
        _services.Metrics.MessageReceived(_listener.Name);
        if (reader.HasError)
        {
            SmtpReply failure = ContentFailure(reader);
            IngressLog.Rejected(_services.Logger, _sessionId, "DATA", failure.Code, failure.Status.ToString(), failure.Text);
            ResetTransaction();
            await ErrorAsync(failure).ConfigureAwait(false);
            return;
        }

        SmtpTransaction transaction = _transaction!;
        string queueId = QueueId.New();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        SessionFacts facts = Facts();
        _transactionActivity?.SetTag("smtp.queue_id", queueId);
        var draft = new MessageDraft
        {
            SessionId = _sessionId,
            QueueId = queueId,
            Envelope = transaction.ToEnvelope(),
            Session = facts,
            ReceivedAt = now,
            ReceivedHeader = ReceivedHeader.Build(
                _heloName, _client.Address, _services.Ingress.HostName, _extended, facts.TlsProtocol, facts.TlsCipher,
                _user is not null, transaction.SmtpUtf8, queueId,
                transaction.Recipients.Count == 1 ? transaction.Recipients[0].Address : null, now),
            Content = _content!,
        };

        // The client waits for this reply; flush what was pipelined before so it is not held back.
        await FlushAsync().ConfigureAwait(false);

        // The transaction's span began in MAIL's async flow, which does not carry over here: make it current so
        // the policy request and the publish join the message's trace.
        Activity.Current = _transactionActivity ?? Activity.Current;
        SmtpReply reply;
        try
        {
            reply = await _services.Acceptance.AcceptAsync(draft, _connectionClosed).ConfigureAwait(false);
            _transactionActivity?.SetTag("smtp.reply", reply.ToString());
        }
        finally
        {
            // The body's budget goes back however the publish ended.
            ResetTransaction();
        }

        if (reply.IsPositive)
        {
            _messages++;
        }
        else
        {
            IngressLog.Rejected(_services.Logger, _sessionId, "end of data", reply.Code, reply.Status.ToString(), reply.Text);
        }

        Reply(reply);
    }

    private async ValueTask StartTlsAsync()
    {
        Reply(SmtpReplies.ReadyToStartTls);
        await FlushAsync().ConfigureAwait(false);
        _startTlsRequested = true;
    }

    private async ValueTask AuthAsync(AuthCommand auth)
    {
        if (!IsSubmission)
        {
            await ErrorAsync(SmtpReplies.AuthenticationNotAvailable).ConfigureAwait(false);
            return;
        }

        if (_user is not null)
        {
            await ErrorAsync(SmtpReplies.AlreadyAuthenticated).ConfigureAwait(false);
            return;
        }

        if (!AuthAvailable)
        {
            await ErrorAsync(SmtpReplies.EncryptionRequiredForMechanism).ConfigureAwait(false);
            return;
        }

        if (_services.Failures.IsBlocked(_client.Address))
        {
            Reply(SmtpReplies.TooManyAuthenticationFailures);
            _closing = true;
            return;
        }

        ISaslExchange? exchange = _services.Authenticator.Begin(auth.Mechanism, _services.Ingress.HostName);
        if (exchange is null)
        {
            await ErrorAsync(SmtpReplies.AuthenticationMechanismUnknown).ConfigureAwait(false);
            return;
        }

        _sasl = exchange;
        ReadOnlyMemory<byte>? initial = null;
        if (auth.InitialResponse is { } text)
        {
            if (!TryDecodeBase64(text, out byte[] decoded))
            {
                await ErrorAsync(AbortSasl(SmtpReplies.SyntaxError.WithText("Invalid base64 in initial response"))).ConfigureAwait(false);
                return;
            }

            initial = decoded;
        }

        await StepSaslAsync(initial).ConfigureAwait(false);
    }

    private async ValueTask ContinueSaslAsync(string line)
    {
        _mode = InputMode.Command;
        // An exchange given up after a challenge counts as a failed one: otherwise a guesser could take a challenge,
        // try its answer elsewhere (CRAM-MD5) or probe user names (LOGIN), cancel, and never reach the lockout.
        if (line == "*")
        {
            string mechanism = _sasl!.Mechanism;
            await ErrorAsync(AbortSasl(SmtpReplies.AuthenticationCancelled)).ConfigureAwait(false);
            CountAuthenticationFailure(mechanism);
            return;
        }

        if (!TryDecodeBase64(line, out byte[] decoded))
        {
            string mechanism = _sasl!.Mechanism;
            await ErrorAsync(AbortSasl(SmtpReplies.SyntaxError.WithText("Invalid base64 in SASL response"))).ConfigureAwait(false);
            CountAuthenticationFailure(mechanism);
            return;
        }

        await StepSaslAsync(decoded).ConfigureAwait(false);
    }

    private async ValueTask StepSaslAsync(ReadOnlyMemory<byte>? response)
    {
        ISaslExchange exchange = _sasl!;
        SaslStep step = await exchange.StepAsync(response, _connectionClosed).ConfigureAwait(false);
        switch (step.Kind)
        {
            case SaslStepKind.Challenge:
                _mode = InputMode.SaslResponse;
                Reply(new SmtpReply(334, NoStatus, Convert.ToBase64String(step.Challenge ?? [])));
                break;
            case SaslStepKind.Succeeded:
                _sasl = null;
                _user = step.UserName;
                _mechanism = exchange.Mechanism;
                IngressLog.Authenticated(_services.Logger, _sessionId, _user!, exchange.Mechanism);
                Reply(SmtpReplies.AuthenticationSucceeded);
                break;
            default:
                _sasl = null;
                await ErrorAsync(SmtpReplies.AuthenticationFailed).ConfigureAwait(false);
                CountAuthenticationFailure(exchange.Mechanism);
                break;
        }
    }

    /// <summary>One more failure for this client's lockout; the session ends (421 4.7.0) once it is locked out.</summary>
    private void CountAuthenticationFailure(string mechanism)
    {
        _services.Failures.RecordFailure(_client.Address);
        _services.Metrics.Rejected(_listener.Name, "auth_failed");
        IngressLog.AuthenticationFailed(_services.Logger, _sessionId, _client.Address, mechanism);
        if (_services.Failures.IsBlocked(_client.Address) && !_closing)
        {
            Reply(SmtpReplies.TooManyAuthenticationFailures);
            _closing = true;
        }
    }

    private SmtpReply AbortSasl(SmtpReply reply)
    {
        _sasl = null;
        _mode = _mode == InputMode.SaslResponse ? InputMode.Command : _mode;
        return reply;
    }

    private static bool TryDecodeBase64(string text, out byte[] bytes)
    {
        if (text == "=")
        {
            bytes = [];
            return true;
        }

        bytes = new byte[(text.Length * 3 / 4) + 3];
        if (Convert.TryFromBase64String(text, bytes, out int written))
        {
            bytes = bytes[..written];
            return true;
        }

        bytes = [];
        return false;
    }
}
