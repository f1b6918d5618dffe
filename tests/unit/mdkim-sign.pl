#!/usr/bin/perl
# mdkim-sign.pl - sign a message with Mail::DKIM (Debian's libmail-dkim-perl),
# an independent signer for crosscheck.py.
#
# usage: mdkim-sign.pl KEYFILE DOMAIN SELECTOR CANON < message > signed
# CANON is header/body (e.g. relaxed/simple); RSA-SHA256 only.
use strict;
use warnings;
use Mail::DKIM::Signer;
use Mail::DKIM::PrivateKey;

die "usage: mdkim-sign.pl KEYFILE DOMAIN SELECTOR CANON\n" unless @ARGV == 4;
my ($keyfile, $domain, $selector, $canon) = @ARGV;
binmode STDIN;
binmode STDOUT;
# Slurp only here: Mail::DKIM reads the key file line by line.
my $msg = do { local $/; <STDIN> };
my $dkim = Mail::DKIM::Signer->new(
	Algorithm => "rsa-sha256",
	Method => $canon,
	Domain => $domain,
	Selector => $selector,
	KeyFile => $keyfile,
	Headers => "from:to:cc:subject:date:message-id",
);
$dkim->PRINT($msg);
$dkim->CLOSE;
print $dkim->signature->as_string . "\015\012" . $msg;
