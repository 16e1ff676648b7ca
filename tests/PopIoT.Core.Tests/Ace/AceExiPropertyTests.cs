#nullable disable
using System;
using System.Collections.Generic;

using PopIoT.Core.Ace;
using PopIoT.Core.Coap;

using Xunit;
using Xunit.Abstractions;

namespace PopIoT.Core.Tests.Ace;

/// <summary>
/// Random runs against a clockless resource server with few slots: new tokens, byte variants in the unprotected
/// header, rights updates, re-posts of old tokens, protected and unprotected posts, replays and clock advances. Two
/// properties hold after every step (RFC 9200 §5.10.1.1, §5.10.3):
/// <list type="bullet">
/// <item>a protected request is allowed only before the first acceptance + exi of the token that authorises it (the
/// RS keeps nothing about a token it refused, so its counter starts when it first verifies and keeps the token);</item>
/// <item>no stored token has a sequence number at or below the highest one that expired, was replaced or was evicted,
/// and the RS's highest expired number is exactly that of the tokens that left it.</item>
/// </list>
/// </summary>
public class AceExiPropertyTests
{
    private const int Clients = 5;
    private readonly ITestOutputHelper _output;

    public AceExiPropertyTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 1)]
    public void Exi_lifetimes_never_restart_and_burnt_numbers_never_come_back(int seed, int slots)
    {
        var run = new Run(seed, slots);
        try
        {
            run.Steps(2500);
        }
        catch (Exception)
        {
            _output.WriteLine($"seed {seed}, {slots} slots, failed at step {run.Step}, time {run.Rig.Server.Now}");
            throw;
        }

        _output.WriteLine($"seed {seed}, {slots} slots: {run.Allowed} requests allowed, {run.Rig.Server.Evictions} evictions, {run.Rig.Server.Expirations} expirations, highest expired {run.Rig.Server.HighestExpiredExiSequence}");
        Assert.True(run.Allowed > 50, "too few allowed requests to mean anything: " + run.Allowed);
        Assert.True(run.Rig.Server.HighestExpiredExiSequence > 0);
    }

    private sealed class Run : IAceDecisionListener
    {
        private readonly Random _rng;
        private readonly AceTestClient[] _clients = new AceTestClient[Clients];
        private readonly List<Token>[] _tokens = new List<Token>[Clients];
        private readonly Dictionary<long, long> _firstAccepted = new();
        private readonly long[] _slotToken;
        private readonly List<byte[]> _captured = new();
        private readonly List<(AceDecisionKind Kind, int Slot)> _events = new();
        private long _sequence;
        private long _modelHighestExpired = -1;

        public Run(int seed, int slots)
        {
            _rng = SeededRandomSource.NewRandom(seed);
            Rig = AceExiTests.Clockless(slots);
            Rig.Server.Listener = this;
            _slotToken = new long[slots];
            Array.Fill(_slotToken, -1);
            for (int k = 0; k < Clients; k++)
            {
                _tokens[k] = new List<Token>();
                _clients[k] = new AceTestClient(k + 1, Spec(k, 60));
            }
        }

        public AceRig Rig { get; }

        public int Step { get; private set; }

        public int Allowed { get; private set; }

        public void Steps(int count)
        {
            for (Step = 0; Step < count; Step++)
            {
                int k = _rng.Next(Clients);
                int action = _rng.Next(100);
                if (action < 15)
                {
                    Rig.Server.Tick(Rig.Server.Now + _rng.Next(1, 16));
                    Settle(-1);
                }
                else if (action < 30)
                {
                    PostWithNonces(k, NewToken(k));
                }
                else if (action < 45)
                {
                    Token t = OldToken(k);
                    if (t != null)
                    {
                        PostWithNonces(k, t, Variant(t));
                    }
                }
                else if (action < 55)
                {
                    Token t = _rng.Next(3) == 0 ? NewToken(k) : OldToken(k);
                    if (t != null)
                    {
                        PostUpdate(k, t, _rng.Next(2) == 0);
                    }
                }
                else if (action < 90)
                {
                    Request(k);
                }
                else if (_captured.Count > 0)
                {
                    // A captured protected request sent again, by anyone.
                    byte[] d = _captured[_rng.Next(_captured.Count)];
                    Rig.Exchange(_rng.Next(1, Clients + 1), d);
                    Settle(-1);
                    CheckAllowed();
                }

                CheckStored();
            }
        }

        public void OnDecision(AceDecision d) => _events.Add((d.Kind, d.Slot));

        private Token NewToken(int k)
        {
            long exi = 20 + (10 * _rng.Next(6));
            var spec = Spec(k, exi);
            spec.Cti = Cti(++_sequence);
            spec.Scope = _rng.Next(2) == 0 ? "read" : "read write";
            spec.Protection = _rng.Next(3) switch { 0 => "encrypt0", 1 => "mac0", _ => "nested" };
            var t = new Token(_sequence, exi, AceTestSupport.Mint(spec));
            _tokens[k].Add(t);
            return t;
        }

        private Token OldToken(int k) => _tokens[k].Count == 0 ? null : _tokens[k][_rng.Next(_tokens[k].Count)];

        private byte[] Variant(Token t) => _rng.Next(3) == 0 ? t.Bytes : AceExiTokens.WithUnprotectedLabel(t.Bytes, _rng.Next(1000));

        private void PostWithNonces(int k, Token t) => PostWithNonces(k, t, t.Bytes);

        private void PostWithNonces(int k, Token t, byte[] bytes)
        {
            AceTestClient c = _clients[k];
            c.Token = bytes;
            c.Post(Rig);
            Settle(t.Sequence);
        }

        private void PostUpdate(int k, Token t, bool protectedPost)
        {
            AceTestClient c = _clients[k];
            byte[] payload = AuthzInfoRequest.Encode(Variant(t), null, null);
            if (protectedPost && c.Context != null)
            {
                c.Receive(Rig.Exchange(c.Peer, c.ProtectBytes(CoapCode.Post, "/authz-info", payload)));
            }
            else
            {
                Rig.PostAuthzInfo(_rng.Next(1, 50), payload);
            }

            Settle(t.Sequence);
        }

        private void Request(int k)
        {
            AceTestClient c = _clients[k];
            if (c.Context == null)
            {
                return;
            }

            byte[] d = c.Protect(CoapCode.Get, "/temp");
            if (_rng.Next(4) == 0)
            {
                _captured.Add(d);
            }

            c.Receive(Rig.Exchange(c.Peer, d));
            Settle(-1);
            CheckAllowed();
        }

        // Reads what the RS did (from its decisions) into the model: which token each slot holds, which numbers left.
        private void Settle(long posted)
        {
            foreach (var (kind, slot) in _events)
            {
                switch (kind)
                {
                    case AceDecisionKind.SlotExpired:
                    case AceDecisionKind.SlotEvicted:
                        Leave(slot);
                        break;
                    case AceDecisionKind.TokenStored:
                    case AceDecisionKind.RightsUpdated:
                        if (_slotToken[slot] != posted)
                        {
                            Leave(slot);
                        }

                        _slotToken[slot] = posted;
                        _firstAccepted.TryAdd(posted, Rig.Server.Now);
                        break;
                    case AceDecisionKind.TokenDuplicate:
                        // The RS knew this token (any byte variant of it) as the one it already holds in that slot.
                        Assert.Equal(posted, _slotToken[slot]);
                        break;
                }
            }

            _events.Clear();
        }

        private void Leave(int slot)
        {
            long seq = _slotToken[slot];
            if (seq > _modelHighestExpired)
            {
                _modelHighestExpired = seq;
            }

            _slotToken[slot] = -1;
        }

        private void CheckAllowed()
        {
            AceDecision d = Rig.Server.LastDecision;
            if (d.Kind != AceDecisionKind.RequestAllowed)
            {
                return;
            }

            Allowed++;
            long seq = _slotToken[d.Slot];
            Assert.True(seq > 0, "a request was allowed through a slot the model thinks is empty");
            long end = _firstAccepted[seq] + Exi(seq);
            Assert.True(Rig.Server.Now < end, $"request allowed at {Rig.Server.Now} under token {seq}, first accepted at {_firstAccepted[seq]}, exi {Exi(seq)}");
        }

        private void CheckStored()
        {
            long highest = Rig.Server.HighestExpiredExiSequence;
            Assert.Equal(_modelHighestExpired, highest);
            for (int s = 0; s < _slotToken.Length; s++)
            {
                Assert.Equal(Rig.Server.IsSlotInUse(s), _slotToken[s] > 0);
                if (Rig.Server.IsSlotInUse(s))
                {
                    Assert.Equal(_slotToken[s], Rig.Server.ExiSequenceOf(s));
                    Assert.True(Rig.Server.ExiSequenceOf(s) > highest, $"slot {s} holds token {Rig.Server.ExiSequenceOf(s)} at or below the highest expired {highest}");
                }
            }
        }

        private long Exi(long seq)
        {
            foreach (List<Token> list in _tokens)
            {
                foreach (Token t in list)
                {
                    if (t.Sequence == seq)
                    {
                        return t.Exi;
                    }
                }
            }

            throw new InvalidOperationException("unknown token " + seq);
        }

        private static TokenSpec Spec(int k, long exi) => new() { Exp = 0, Exi = exi, Cti = [0x01], Id = [(byte)(k + 1)] };

        private static byte[] Cti(long seq) => seq < 256 ? [(byte)seq] : [(byte)(seq >> 8), (byte)seq];
    }

    private sealed record Token(long Sequence, long Exi, byte[] Bytes);
}
