# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ec2_hostkey_global_optspecs
    string join \n region= profile= account= v/verbose q/quiet address= on-name-move= nameserver= store= store-owner= h/help V/version
end

function __fish_ec2_hostkey_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ec2_hostkey_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ec2_hostkey_using_subcommand
    set -l cmd (__fish_ec2_hostkey_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -s V -l version -d 'Print version'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "proxy" -d 'Verify HOST\'s key, record it, then carry the connection (ProxyCommand ec2-hostkey proxy %h %p)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "known-hosts" -d 'Print verified known_hosts lines for HOST; writes nothing (KnownHostsCommand ec2-hostkey known-hosts %H %t %K)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "fetch" -d 'Print TARGETs\' verified host keys as known_hosts lines or JSON; --write records them'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "repair" -d 'Report and fix known_hosts entries for EC2 names whose key is not the current instance\'s'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "forget" -d 'Remove every known_hosts entry for an instance (alias, DNS names, IPs)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "seed" -d 'Generate host keys before launch and print user-data that installs them'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "sync" -d 'Verify and record the host keys of every matching running instance'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "ssh-config" -d 'Print an ssh_config block that routes EC2 hosts through ec2-hostkey'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "doctor" -d 'Check credentials, IAM permissions, the ssh client, file permissions and ssh_config; print the fix for each problem'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "ssm-document" -d 'Print the Systems Manager document that reads host keys (for `aws ssm create-document`)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "serve" -d 'A local SOCKS5 / HTTP CONNECT proxy that verifies every SSH connection as `proxy` does, for clients that cannot run a ProxyCommand (paramiko, Terraform, Packer, editors)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "ca" -d 'The host certificate authority: make its key, print its @cert-authority line, revoke keys'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "certify" -d 'Verify TARGETs\' host keys as fetch does, then sign exactly those as host certificates (principals: the instance id, DNS names and addresses)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "completions" -d 'Print a shell completion script (e.g. `ec2-hostkey completions bash > /etc/bash_completion.d/ec2-hostkey`)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l known-hosts -d 'known_hosts file to update (default: the config file\'s, else ~/.ssh/known_hosts)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l cache-ttl -d 'How long a name\'s verified instance and address are reused without asking AWS [default: 1h]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l source -d 'Where host keys may come from: auto (a proven seed, then the team store when a connection\'s key is checked, then the console output, then the team store for the other commands, then Systems Manager), or only one of them [default: auto]' -r -f -a "auto\t''
seed\t''
store\t''
console\t''
ssm\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l ssm-document -d 'The Systems Manager document that reads the host keys (`ec2-hostkey ssm-document` prints it); AWS-RunShellScript is used when it is missing or denied [default: ec2-hostkey-ReadHostKeys]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l relay -d 'How bytes are carried once the key is verified: copy (one 1 MiB buffer per direction; the default, the fastest by measurement) or splice (Linux only, the kernel moves them)' -r -f -a "splice\t''
copy\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l wait -d 'How long to wait for a booting instance: while it is pending, then for its console output (e.g. 90s, 10m) [default: 0s]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l via -d 'How to reach the instance: direct (TCP to its address) or eice (through the EC2 Instance Connect Endpoint of its VPC, to its private address; ports 22 and 3389 only)' -r -f -a "direct\t'A TCP connection to the instance\'s address'
eice\t'A websocket tunnel through the EC2 Instance Connect Endpoint of the instance\'s VPC, to its private address (no public address or open port needed)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l eice-id -d 'With --via eice: the endpoint to use (default: the one in the instance\'s subnet, else the first ready in its VPC)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l max-tunnel-duration -d 'With --via eice: how long the endpoint keeps the tunnel open (1s to 1h)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l hash -d 'Write hashed entries (default: when ssh\'s HashKnownHosts says so, the file is mostly hashed, or the replaced entries were)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l no-cache -d 'Neither read nor write the verified-key cache (~/.cache/ec2-hostkey)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -l fdpass -d 'Hand ssh the connected socket after verification (needs `ProxyUseFdpass yes`)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand proxy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l cache-ttl -d 'How long a name\'s verified instance and address are reused without asking AWS [default: 1h]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l source -d 'Where host keys may come from: auto (a proven seed, then the team store when a connection\'s key is checked, then the console output, then the team store for the other commands, then Systems Manager), or only one of them [default: auto]' -r -f -a "auto\t''
seed\t''
store\t''
console\t''
ssm\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l ssm-document -d 'The Systems Manager document that reads the host keys (`ec2-hostkey ssm-document` prints it); AWS-RunShellScript is used when it is missing or denied [default: ec2-hostkey-ReadHostKeys]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l wait -d 'How long to wait for a booting instance: while it is pending, then for its console output (e.g. 90s, 10m) [default: 0s]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -l no-cache -d 'Neither read nor write the verified-key cache (~/.cache/ec2-hostkey)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand known-hosts" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l known-hosts -d 'known_hosts file to update (default: the config file\'s, else ~/.ssh/known_hosts)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l cache-ttl -d 'How long a name\'s verified instance and address are reused without asking AWS [default: 1h]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l source -d 'Where host keys may come from: auto (a proven seed, then the team store when a connection\'s key is checked, then the console output, then the team store for the other commands, then Systems Manager), or only one of them [default: auto]' -r -f -a "auto\t''
seed\t''
store\t''
console\t''
ssm\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l ssm-document -d 'The Systems Manager document that reads the host keys (`ec2-hostkey ssm-document` prints it); AWS-RunShellScript is used when it is missing or denied [default: ec2-hostkey-ReadHostKeys]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l port -d 'The SSH port, for entry names and fingerprint probes' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l wait -d 'How long to wait for a booting instance: while it is pending, then for its console output (e.g. 90s, 10m) [default: 0s]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l hash -d 'Write hashed entries (default: when ssh\'s HashKnownHosts says so, the file is mostly hashed, or the replaced entries were)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l no-cache -d 'Neither read nor write the verified-key cache (~/.cache/ec2-hostkey)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l write -d 'Add the verified keys to known_hosts (replacing stale entries for the same names)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -l json -d 'Print JSON: [{target, instance, names, source, keys: [{type, key, fingerprint}]}]'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l known-hosts -d 'known_hosts file to update (default: the config file\'s, else ~/.ssh/known_hosts)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l cache-ttl -d 'How long a name\'s verified instance and address are reused without asking AWS [default: 1h]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l source -d 'Where host keys may come from: auto (a proven seed, then the team store when a connection\'s key is checked, then the console output, then the team store for the other commands, then Systems Manager), or only one of them [default: auto]' -r -f -a "auto\t''
seed\t''
store\t''
console\t''
ssm\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l ssm-document -d 'The Systems Manager document that reads the host keys (`ec2-hostkey ssm-document` prints it); AWS-RunShellScript is used when it is missing or denied [default: ec2-hostkey-ReadHostKeys]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l port -d 'Also look for `[name]:PORT` entries on this port (repeatable; 22 always)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l hash -d 'Write hashed entries (default: when ssh\'s HashKnownHosts says so, the file is mostly hashed, or the replaced entries were)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l no-cache -d 'Neither read nor write the verified-key cache (~/.cache/ec2-hostkey)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l dry-run -d 'Report what would change; change nothing'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l prune -d 'Also remove orphaned entries (EC2 names no instance holds any more)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -l json -d 'Print a JSON report: {file, entries: [{line, names, hashed, status, instance, key}], fine, stale, orphaned, unverified, changed}'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand repair" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l known-hosts -d 'known_hosts file to update (default: the config file\'s, else ~/.ssh/known_hosts)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l cache-ttl -d 'How long a name\'s verified instance and address are reused without asking AWS [default: 1h]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l port -d 'Also remove `[name]:PORT` entries on this port (repeatable; 22 always)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l hash -d 'Write hashed entries (default: when ssh\'s HashKnownHosts says so, the file is mostly hashed, or the replaced entries were)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l no-cache -d 'Neither read nor write the verified-key cache (~/.cache/ec2-hostkey)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l dry-run -d 'List the lines that would be removed; change nothing'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -l json -d 'Print a JSON report: {file, target, instance, names, dry_run, removed: [{line, text}]}'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand forget" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l type -d 'Key types to generate (repeatable)' -r -f -a "ed25519\t''
ecdsa\t''
rsa\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l format -d 'User-data format' -r -f -a "cloud-config\t''
script\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l s3 -d 'Put the private keys in a private S3 object (s3://bucket/prefix); user-data gets a presigned URL [default: the config file\'s seed_bucket, if set]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l expires -d 'How long the presigned URL works (with --s3)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -s o -l output -d 'Write the user-data to FILE (0600) instead of stdout' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l ca -d 'Also sign the new keys with the host CA (`ca init`; its key file, default ~/.local/share/ec2-hostkey/host_ca) for the names given with --principal; cloud-init (or the script) installs the certificates' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l principal -d 'With --ca: a name the instance will answer to, known before launch (an Elastic IP, a DNS name you control) (repeatable). The instance\'s own id and addresses are not known yet: `certify` adds them once it runs' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l cert-validity -d 'With --ca: how long the certificates are valid (at most 90d)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -l inline -d 'Put the private keys in the user-data itself even when a seed_bucket is configured (readable by anyone with ec2:DescribeInstanceAttribute)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -f -a "bind" -d 'Link a seed to the instance launched with it (when it was not tagged)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -f -a "cleanup" -d 'Delete the S3 objects of seeds whose keys were never fetched through a connection'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and not __fish_seen_subcommand_from bind cleanup help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from bind" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from bind" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from bind" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from bind" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from bind" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from bind" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from bind" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from bind" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from bind" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from bind" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from bind" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from cleanup" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from cleanup" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from cleanup" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from cleanup" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from cleanup" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from cleanup" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from cleanup" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from cleanup" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from cleanup" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from cleanup" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from cleanup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from help" -f -a "bind" -d 'Link a seed to the instance launched with it (when it was not tagged)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from help" -f -a "cleanup" -d 'Delete the S3 objects of seeds whose keys were never fetched through a connection'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand seed; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l known-hosts -d 'known_hosts file to update (default: the config file\'s, else ~/.ssh/known_hosts)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l cache-ttl -d 'How long a name\'s verified instance and address are reused without asking AWS [default: 1h]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l source -d 'Where host keys may come from: auto (a proven seed, then the team store when a connection\'s key is checked, then the console output, then the team store for the other commands, then Systems Manager), or only one of them [default: auto]' -r -f -a "auto\t''
seed\t''
store\t''
console\t''
ssm\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l ssm-document -d 'The Systems Manager document that reads the host keys (`ec2-hostkey ssm-document` prints it); AWS-RunShellScript is used when it is missing or denied [default: ec2-hostkey-ReadHostKeys]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l filter -d 'Only instances matching this filter, as the AWS CLI takes it: Name=tag:Env,Values=prod,stage (repeatable; all must match)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l concurrency -d 'Console fetches in flight at once' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l port -d 'The SSH port, for entry names and fingerprint probes' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l ca -d 'The CA\'s private key [default: ~/.local/share/ec2-hostkey/host_ca]' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l validity -d 'With --certify: how long each new certificate is valid' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l install-document -d 'With --certify: the install document\'s name in your account' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l hash -d 'Write hashed entries (default: when ssh\'s HashKnownHosts says so, the file is mostly hashed, or the replaced entries were)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l no-cache -d 'Neither read nor write the verified-key cache (~/.cache/ec2-hostkey)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l aliases -d 'Also record each instance\'s id and Name tag as host names (what you type with the ProxyCommand)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l dry-run -d 'Report what would change; change nothing'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l publish -d 'Publish every instance\'s verified keys to the team store (--store): create-only records, one per instance and key set; --json reports what was published'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l json -d 'Print a JSON report (see docs/json.md)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -l certify -d 'Also renew host certificates: every verified instance whose sshd presents no certificate of the CA (--ca) with more than a third of its validity left gets one for the keys it presents, installed through Systems Manager (see `certify --install`)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l pattern -d 'More Host patterns to route through ec2-hostkey (repeatable), e.g. \'*.prod.example.com\' or \'10.*\'' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l mode -d 'proxy: ProxyCommand (any name: ids, Name tags, DNS, IPs); known-hosts: KnownHostsCommand (ssh connects itself; only names ssh can resolve)' -r -f -a "proxy\t''
known-hosts\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l known-hosts -d 'The known_hosts file ec2-hostkey writes and ssh reads (default: ssh\'s own)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l bin -d 'Path of the ec2-hostkey binary to run (default: this one)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l wait -d 'How long the proxy waits for console output after boot' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l via -d 'How ssh reaches the instances: direct; eice (ec2-hostkey\'s own tunnel through the VPC\'s EC2 Instance Connect Endpoint); ssm (AWS\'s Session Manager command as ProxyCommand, keys verified by KnownHostsCommand; instance ids only)' -r -f -a "direct\t''
eice\t''
ssm\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l eice-id -d 'With --via eice: the endpoint to use (default: the instance\'s subnet\'s, else its VPC\'s)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l ca -d 'Also trust the host CA (`ca init`; its key file, default ~/.local/share/ec2-hostkey/host_ca) for the block\'s patterns: its @cert-authority line goes to ~/.ssh/ec2-hostkey_ca_known_hosts, which the block adds to UserKnownHostsFile; instances without a certificate still go through ec2-hostkey' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l proxy-command -d 'Your own carrier as ProxyCommand (a bastion\'s `ssh -W %h:%p bastion`, a corporate tunnel), written as is; ec2-hostkey verifies the key as KnownHostsCommand' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l no-default-patterns -d 'Leave out the default EC2 patterns (i-*, ec2-*.amazonaws.com, *.compute.internal, *.ec2.internal)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -l fdpass -d 'Add ProxyUseFdpass: ec2-hostkey hands ssh the socket and leaves the data path (faster bulk copies; the key is read on a probe connection, not the one ssh gets: see docs/commands.md)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssh-config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -l known-hosts -d 'known_hosts file to check (default: ~/.ssh/known_hosts)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -l ssh-config -d 'ssh_config file to check the routing of EC2 hosts in (default: ssh\'s own)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -l ssm-document -d 'The Systems Manager document to look for (as `--ssm-document` elsewhere) [default: ec2-hostkey-ReadHostKeys]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -l json -d 'Print a JSON report: {ok, checks: [{check, status, detail, fix}]}'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssm-document" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssm-document" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssm-document" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssm-document" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssm-document" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssm-document" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssm-document" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssm-document" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssm-document" -l certify -d 'Print instead the document that installs host certificates (`certify --install`)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssm-document" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssm-document" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ssm-document" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l known-hosts -d 'known_hosts file to update (default: the config file\'s, else ~/.ssh/known_hosts)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l cache-ttl -d 'How long a name\'s verified instance and address are reused without asking AWS [default: 1h]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l source -d 'Where host keys may come from: auto (a proven seed, then the team store when a connection\'s key is checked, then the console output, then the team store for the other commands, then Systems Manager), or only one of them [default: auto]' -r -f -a "auto\t''
seed\t''
store\t''
console\t''
ssm\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l ssm-document -d 'The Systems Manager document that reads the host keys (`ec2-hostkey ssm-document` prints it); AWS-RunShellScript is used when it is missing or denied [default: ec2-hostkey-ReadHostKeys]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l via -d 'How to reach the instance: direct (TCP to its address) or eice (through the EC2 Instance Connect Endpoint of its VPC, to its private address; ports 22 and 3389 only)' -r -f -a "direct\t'A TCP connection to the instance\'s address'
eice\t'A websocket tunnel through the EC2 Instance Connect Endpoint of the instance\'s VPC, to its private address (no public address or open port needed)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l eice-id -d 'With --via eice: the endpoint to use (default: the one in the instance\'s subnet, else the first ready in its VPC)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l max-tunnel-duration -d 'With --via eice: how long the endpoint keeps the tunnel open (1s to 1h)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l listen -d 'Where to listen: IP:PORT, or a Unix socket path (repeatable) [default: the sockets systemd passes (LISTEN_FDS), else 127.0.0.1:1080]. An address off loopback needs --users' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l port -d 'The destination ports carried (repeatable); any other is refused [default: 22]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l users -d 'A file of user:password lines (yours alone, mode 600): clients must authenticate (SOCKS5 RFC 1929, HTTP Proxy-Authorization: Basic)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l handshake-timeout -d 'How long a client may take to say where it goes [default: 10s]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l idle-timeout -d 'End a connection after this long without a byte either way [default: never]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l drain -d 'On SIGTERM or SIGINT, stop accepting and let open connections finish for up to this long [default: 30s]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l max-connections -d 'Connections served at once; more are closed at once, and logged [default: 400]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l log-format -d 'The log line per connection: text, or json (one object per line) [default: text]' -r -f -a "text\t''
json\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l wait -d 'How long to wait for a booting instance: while it is pending, then for its console output [default: 0s]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l hash -d 'Write hashed entries (default: when ssh\'s HashKnownHosts says so, the file is mostly hashed, or the replaced entries were)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l no-cache -d 'Neither read nor write the verified-key cache (~/.cache/ec2-hostkey)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l no-record -d 'Verify, but write nothing to known_hosts (the clients behind serve keep none)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -l record-aliases -d 'Also record the name a client asked for when it is not one of EC2\'s own (a Name tag, an alias), as proxy does: for OpenSSH through nc -X by such a name. Only when every client of the listener is you: the client chooses what is written to your known_hosts'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -f -a "init" -d 'Make the CA\'s ed25519 key in a file only you can read (default: the tool\'s data directory)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -f -a "show" -d 'Print the @cert-authority line that trusts the CA for the fleet\'s names'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -f -a "revoke" -d 'Revoke a key, or every key recorded for an instance id: an @revoked line in known_hosts, which ssh honours for plain keys and certificates alike, and certify never signs again'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and not __fish_seen_subcommand_from init show revoke help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -l out -d 'Where to write the key (and FILE.pub) [default: ~/.local/share/ec2-hostkey/host_ca]' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -l key -d 'With --agent: which of the agent\'s keys (its .pub file or \'ssh-ed25519 AAAA…\') [default: the agent\'s only key]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -l agent -d 'Use a key ssh-agent holds (a hardware token\'s, say) instead of making one: its private half never touches the disk, and certify signs through the agent (ssh-keygen -U)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -l ca -d 'The CA\'s private key [default: ~/.local/share/ec2-hostkey/host_ca]' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -l pattern -d 'More host patterns the CA is trusted for (repeatable), e.g. \'10.*\' to connect by private address' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -l known-hosts -d 'known_hosts file to update (default: the config file\'s, else ~/.ssh/known_hosts)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -l ca -d 'The CA\'s private key [default: ~/.local/share/ec2-hostkey/host_ca]' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -l hash -d 'Write hashed entries (default: when ssh\'s HashKnownHosts says so, the file is mostly hashed, or the replaced entries were)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from help" -f -a "init" -d 'Make the CA\'s ed25519 key in a file only you can read (default: the tool\'s data directory)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the @cert-authority line that trusts the CA for the fleet\'s names'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a key, or every key recorded for an instance id: an @revoked line in known_hosts, which ssh honours for plain keys and certificates alike, and certify never signs again'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand ca; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l known-hosts -d 'known_hosts file to update (default: the config file\'s, else ~/.ssh/known_hosts)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l cache-ttl -d 'How long a name\'s verified instance and address are reused without asking AWS [default: 1h]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l source -d 'Where host keys may come from: auto (a proven seed, then the team store when a connection\'s key is checked, then the console output, then the team store for the other commands, then Systems Manager), or only one of them [default: auto]' -r -f -a "auto\t''
seed\t''
store\t''
console\t''
ssm\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l ssm-document -d 'The Systems Manager document that reads the host keys (`ec2-hostkey ssm-document` prints it); AWS-RunShellScript is used when it is missing or denied [default: ec2-hostkey-ReadHostKeys]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l ca -d 'The CA\'s private key [default: ~/.local/share/ec2-hostkey/host_ca]' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l validity -d 'How long each certificate is valid (e.g. 7d, 12h; at most 90d)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l out -d 'Write DIR/<instance-id>/ssh_host_<type>_key-cert.pub for each key (else print the certificates)' -r -F
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l install-document -d 'The install document\'s name in your account' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l port -d 'The SSH port, for checking the live server' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l wait -d 'How long to wait for a booting instance [default: 0s]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l hash -d 'Write hashed entries (default: when ssh\'s HashKnownHosts says so, the file is mostly hashed, or the replaced entries were)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l no-cache -d 'Neither read nor write the verified-key cache (~/.cache/ec2-hostkey)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l private-principals -d 'Also name the private DNS name and address in certificates. They repeat in every VPC with the same range: only where your clients reach no other VPC\'s instances at those addresses'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l allow-unreachable -d 'Sign what the sources vouch for when the instance\'s sshd cannot be asked from here (a private instance); by default certify signs only keys the live server presents'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l json -d 'Print a JSON report'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -l install -d 'Install the certificates through Systems Manager with the tool\'s own document (see `ssm-document --certify`), then check that sshd presents them'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand certify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand completions" -l region -d 'AWS region; repeat to search several in order (default: AWS_REGION, then the profile\'s region, and an instance id found in neither is looked for in every enabled region)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand completions" -l profile -d 'AWS profile (default: AWS_PROFILE)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand completions" -l account -d 'Only this one of the config file\'s [[accounts]], by name or id (default: all of them)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand completions" -l address -d 'Which address to connect to and record: auto (the side of the name you typed, else public when there is one), public, or private (VPN, Direct Connect, bastion) [default: auto]' -r -f -a "auto\t''
public\t''
private\t''"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand completions" -l on-name-move -d 'When a name (Name tag, DNS alias) leads to another instance than the one recorded for it: warn and connect, refuse (exit 5), or accept the move for this run [default: warn]' -r -f -a "warn\t'Say so, naming both instances, and connect (autoscaling keeps working)'
refuse\t'Refuse (exit 5) until the move is accepted'
accept\t'Follow the name silently (this run)'"
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand completions" -l nameserver -d 'DNS server for names that are aliases of instances (default: the system resolver configuration)' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand completions" -l store -d 'The team store: records of verified keys shared through S3; read before the console on a connection, and written (create-only) after every verification by a source' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand completions" -l store-owner -d 'The AWS account that must own the team store\'s and the seeds\' buckets: S3 refuses every request to a bucket of anyone else (ExpectedBucketOwner) [default: your own account]' -r
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (-v, -vv)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand completions" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "proxy" -d 'Verify HOST\'s key, record it, then carry the connection (ProxyCommand ec2-hostkey proxy %h %p)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "known-hosts" -d 'Print verified known_hosts lines for HOST; writes nothing (KnownHostsCommand ec2-hostkey known-hosts %H %t %K)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "fetch" -d 'Print TARGETs\' verified host keys as known_hosts lines or JSON; --write records them'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "repair" -d 'Report and fix known_hosts entries for EC2 names whose key is not the current instance\'s'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "forget" -d 'Remove every known_hosts entry for an instance (alias, DNS names, IPs)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "seed" -d 'Generate host keys before launch and print user-data that installs them'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "sync" -d 'Verify and record the host keys of every matching running instance'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "ssh-config" -d 'Print an ssh_config block that routes EC2 hosts through ec2-hostkey'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "doctor" -d 'Check credentials, IAM permissions, the ssh client, file permissions and ssh_config; print the fix for each problem'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "ssm-document" -d 'Print the Systems Manager document that reads host keys (for `aws ssm create-document`)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "serve" -d 'A local SOCKS5 / HTTP CONNECT proxy that verifies every SSH connection as `proxy` does, for clients that cannot run a ProxyCommand (paramiko, Terraform, Packer, editors)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "ca" -d 'The host certificate authority: make its key, print its @cert-authority line, revoke keys'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "certify" -d 'Verify TARGETs\' host keys as fetch does, then sign exactly those as host certificates (principals: the instance id, DNS names and addresses)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "completions" -d 'Print a shell completion script (e.g. `ec2-hostkey completions bash > /etc/bash_completion.d/ec2-hostkey`)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and not __fish_seen_subcommand_from proxy known-hosts fetch repair forget seed sync ssh-config doctor ssm-document serve ca certify completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and __fish_seen_subcommand_from seed" -f -a "bind" -d 'Link a seed to the instance launched with it (when it was not tagged)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and __fish_seen_subcommand_from seed" -f -a "cleanup" -d 'Delete the S3 objects of seeds whose keys were never fetched through a connection'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and __fish_seen_subcommand_from ca" -f -a "init" -d 'Make the CA\'s ed25519 key in a file only you can read (default: the tool\'s data directory)'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and __fish_seen_subcommand_from ca" -f -a "show" -d 'Print the @cert-authority line that trusts the CA for the fleet\'s names'
complete -c ec2-hostkey -n "__fish_ec2_hostkey_using_subcommand help; and __fish_seen_subcommand_from ca" -f -a "revoke" -d 'Revoke a key, or every key recorded for an instance id: an @revoked line in known_hosts, which ssh honours for plain keys and certificates alike, and certify never signs again'
