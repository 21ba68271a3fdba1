package awsvalidate

// The mapping from the offline plan (Pulumi type tokens, camelCase inputs) to the AWS provider's
// resource types and attributes. It is data: every resource type the components create and
// every input they set is listed, and anything else is an error when a plan is rendered, so an
// input can never be silently dropped on its way to the provider. mapping_test.go checks that
// the whole option matrix translates, and, against the built provider's schema, that every
// attribute named here exists there, can be set, and has the kind given here.
//
// The provider built for the gate is a 2026 build of the v6 line (6.47.x), while pulumi-aws
// v6.83.4 bridges the v5 line. Where the two differ for an attribute we set, the attribute's
// Note says how, so a difference is never read as a bug on either side (docs/components.md
// lists the same notes).

// Kind is the shape of a value as the provider's schema has it; it decides how an unknown is
// written and what the schema check expects.
type Kind int

const (
	String Kind = iota
	Number
	Bool
	List  // a list of strings
	Set   // a set of strings
	Map   // a map of strings
	Block // a nested block (or nested attribute): an object, or a list of objects
)

func (k Kind) String() string {
	return [...]string{"string", "number", "bool", "list", "set", "map", "block"}[k]
}

// Attr is where one Pulumi input goes.
type Attr struct {
	TF   string
	Kind Kind
	// Fields map a Block's own inputs.
	Fields map[string]Attr
	// Note is a schema difference between the provider built here and the one pulumi-aws v6.83.4
	// bridges, for this attribute; empty when there is none we know of.
	Note string
}

// Type is where one Pulumi resource type goes.
type Type struct {
	TF    string
	Attrs map[string]Attr
	// Note is a difference that concerns the resource type as a whole.
	Note string
}

func s(tf string) Attr   { return Attr{TF: tf, Kind: String} }
func n(tf string) Attr   { return Attr{TF: tf, Kind: Number} }
func b(tf string) Attr   { return Attr{TF: tf, Kind: Bool} }
func set(tf string) Attr { return Attr{TF: tf, Kind: Set} }
func block(tf string, fields map[string]Attr) Attr {
	return Attr{TF: tf, Kind: Block, Fields: fields}
}
func noted(a Attr, note string) Attr { a.Note = note; return a }

var tags = Attr{TF: "tags", Kind: Map}

// regionNote is true of every resource type: the v6 provider has a per-resource region.
const regionNote = "the v6 provider adds a per-resource `region` argument (enhanced region support) that pulumi-aws v6.83.4 does not have; rediskit never sets it"

// Types maps every AWS resource type the components create.
var Types = map[string]Type{
	"aws:appautoscaling/policy:Policy": {TF: "aws_appautoscaling_policy", Attrs: map[string]Attr{
		"name":              s("name"),
		"policyType":        noted(s("policy_type"), "the provider checks policy_type's value at plan time since v6.13; the v5 line left it to AWS"),
		"resourceId":        s("resource_id"),
		"scalableDimension": s("scalable_dimension"),
		"serviceNamespace":  s("service_namespace"),
		"targetTrackingScalingPolicyConfiguration": block("target_tracking_scaling_policy_configuration", map[string]Attr{
			"predefinedMetricSpecification": block("predefined_metric_specification", map[string]Attr{
				"predefinedMetricType": s("predefined_metric_type"),
				"resourceLabel":        s("resource_label"),
			}),
			"targetValue":      n("target_value"),
			"disableScaleIn":   b("disable_scale_in"),
			"scaleInCooldown":  n("scale_in_cooldown"),
			"scaleOutCooldown": n("scale_out_cooldown"),
		}),
	}},
	"aws:appautoscaling/target:Target": {TF: "aws_appautoscaling_target", Attrs: map[string]Attr{
		"maxCapacity":       n("max_capacity"),
		"minCapacity":       n("min_capacity"),
		"resourceId":        s("resource_id"),
		"scalableDimension": s("scalable_dimension"),
		"serviceNamespace":  s("service_namespace"),
		"tags":              tags,
	}},
	"aws:cloudwatch/dashboard:Dashboard": {TF: "aws_cloudwatch_dashboard", Attrs: map[string]Attr{
		"dashboardBody": s("dashboard_body"),
		"dashboardName": s("dashboard_name"),
	}},
	"aws:cloudwatch/logGroup:LogGroup": {TF: "aws_cloudwatch_log_group", Attrs: map[string]Attr{
		"kmsKeyId":        s("kms_key_id"),
		"name":            s("name"),
		"retentionInDays": n("retention_in_days"),
		"tags":            tags,
	}},
	"aws:cloudwatch/metricAlarm:MetricAlarm": {TF: "aws_cloudwatch_metric_alarm", Attrs: map[string]Attr{
		"alarmActions":     set("alarm_actions"),
		"alarmDescription": s("alarm_description"),
		"comparisonOperator": noted(s("comparison_operator"),
			"optional since v6.42 (PromQL alarms use evaluation_criteria instead); required in pulumi-aws v6.83.4, so leaving it out passes here and fails there"),
		"dimensions": {TF: "dimensions", Kind: Map},
		"evaluationPeriods": noted(n("evaluation_periods"),
			"optional since v6.42, required in pulumi-aws v6.83.4 (as comparison_operator)"),
		"metricName":       s("metric_name"),
		"name":             s("alarm_name"), // pulumi-aws renames alarm_name to name
		"namespace":        s("namespace"),
		"okActions":        set("ok_actions"),
		"period":           n("period"),
		"statistic":        s("statistic"),
		"tags":             tags,
		"threshold":        n("threshold"),
		"treatMissingData": s("treat_missing_data"),
	}},
	"aws:ec2/securityGroup:SecurityGroup": {TF: "aws_security_group", Attrs: map[string]Attr{
		"description": s("description"),
		"name":        s("name"),
		"tags":        tags,
		"vpcId":       s("vpc_id"),
	}},
	"aws:ec2/subnet:Subnet": {TF: "aws_subnet", Attrs: map[string]Attr{
		"assignIpv6AddressOnCreation":             b("assign_ipv6_address_on_creation"),
		"availabilityZone":                        s("availability_zone"),
		"cidrBlock":                               s("cidr_block"),
		"enableResourceNameDnsAaaaRecordOnLaunch": b("enable_resource_name_dns_aaaa_record_on_launch"),
		"ipv6CidrBlock":                           s("ipv6_cidr_block"),
		"ipv6Native":                              b("ipv6_native"),
		"tags":                                    tags,
		"vpcId":                                   s("vpc_id"),
	}},
	"aws:ec2/vpc:Vpc": {TF: "aws_vpc", Attrs: map[string]Attr{
		"assignGeneratedIpv6CidrBlock": b("assign_generated_ipv6_cidr_block"),
		"cidrBlock":                    s("cidr_block"),
		"enableDnsHostnames":           b("enable_dns_hostnames"),
		"enableDnsSupport":             b("enable_dns_support"),
		"tags":                         tags,
	}},
	"aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": {TF: "aws_elasticache_global_replication_group", Attrs: map[string]Attr{
		"cacheNodeType":                     s("cache_node_type"),
		"engineVersion":                     s("engine_version"),
		"globalReplicationGroupDescription": s("global_replication_group_description"),
		"globalReplicationGroupIdSuffix":    s("global_replication_group_id_suffix"),
		"numNodeGroups":                     n("num_node_groups"),
		"primaryReplicationGroupId":         s("primary_replication_group_id"),
	}},
	"aws:elasticache/parameterGroup:ParameterGroup": {TF: "aws_elasticache_parameter_group", Attrs: map[string]Attr{
		"description": s("description"),
		"family":      s("family"),
		"name":        s("name"),
		"parameters": block("parameter", map[string]Attr{
			"name":  s("name"),
			"value": s("value"),
		}),
		"tags": tags,
	}},
	"aws:elasticache/replicationGroup:ReplicationGroup": {TF: "aws_elasticache_replication_group", Attrs: map[string]Attr{
		"applyImmediately": b("apply_immediately"),
		"atRestEncryptionEnabled": noted(s("at_rest_encryption_enabled"),
			`a nullable bool since v6.0, a string in the schema: only "", true or false are accepted (v5: a bool); rediskit sends true or false, which the provider reads as "true"/"false"`),
		"authToken": s("auth_token"),
		"authTokenUpdateStrategy": noted(s("auth_token_update_strategy"),
			"no default since v6.0 (v5: ROTATE) and required beside auth_token, except DELETE without a token since v6.31; rediskit sets it whenever a token is set, and DELETE in RBAC mode"),
		"autoMinorVersionUpgrade": noted(s("auto_minor_version_upgrade"),
			`a nullable bool since v6.0 (a string in the schema: only "", true or false), as at_rest_encryption_enabled`),
		"automaticFailoverEnabled": b("automatic_failover_enabled"),
		"clusterMode":              s("cluster_mode"),
		"dataTieringEnabled":       b("data_tiering_enabled"),
		"description":              s("description"),
		"engine": noted(s("engine"),
			"an uppercase engine name is deprecated since v6.0 (refused from v7); rediskit sends lowercase"),
		"engineVersion":            s("engine_version"),
		"finalSnapshotIdentifier":  s("final_snapshot_identifier"),
		"globalReplicationGroupId": s("global_replication_group_id"),
		"ipDiscovery":              s("ip_discovery"),
		"kmsKeyId":                 s("kms_key_id"),
		"logDeliveryConfigurations": block("log_delivery_configuration", map[string]Attr{
			"destination":     s("destination"),
			"destinationType": s("destination_type"),
			"logFormat":       s("log_format"),
			"logType":         s("log_type"),
		}),
		"maintenanceWindow":        s("maintenance_window"),
		"multiAzEnabled":           b("multi_az_enabled"),
		"networkType":              s("network_type"),
		"nodeType":                 s("node_type"),
		"notificationTopicArn":     s("notification_topic_arn"),
		"numCacheClusters":         n("num_cache_clusters"),
		"numNodeGroups":            n("num_node_groups"),
		"parameterGroupName":       s("parameter_group_name"),
		"port":                     n("port"),
		"preferredCacheClusterAzs": {TF: "preferred_cache_cluster_azs", Kind: List},
		"replicasPerNodeGroup": noted(n("replicas_per_node_group"),
			"the upper limit of 5 was dropped in v6.35 (quota increases); the v5 line refuses more than 5, and so does rediskit's own validation"),
		"replicationGroupId":       s("replication_group_id"),
		"securityGroupIds":         set("security_group_ids"),
		"snapshotArns":             set("snapshot_arns"),
		"snapshotName":             s("snapshot_name"),
		"snapshotRetentionLimit":   n("snapshot_retention_limit"),
		"snapshotWindow":           s("snapshot_window"),
		"subnetGroupName":          s("subnet_group_name"),
		"tags":                     tags,
		"transitEncryptionEnabled": b("transit_encryption_enabled"),
		"transitEncryptionMode":    s("transit_encryption_mode"),
		"userGroupIds":             set("user_group_ids"),
	}, Note: "v6.20 added a node_group_configuration block (per-shard zones) that pulumi-aws v6.83.4 does not have; rediskit does not use it"},
	"aws:elasticache/serverlessCache:ServerlessCache": {TF: "aws_elasticache_serverless_cache", Attrs: map[string]Attr{
		"cacheUsageLimits": block("cache_usage_limits", map[string]Attr{
			"dataStorage": block("data_storage", map[string]Attr{
				"maximum": n("maximum"),
				"minimum": n("minimum"),
				"unit":    s("unit"),
			}),
			"ecpuPerSeconds": block("ecpu_per_second", map[string]Attr{
				"maximum": n("maximum"),
				"minimum": n("minimum"),
			}),
		}),
		"dailySnapshotTime":      s("daily_snapshot_time"),
		"description":            s("description"),
		"engine":                 s("engine"),
		"majorEngineVersion":     s("major_engine_version"),
		"name":                   s("name"),
		"securityGroupIds":       set("security_group_ids"),
		"snapshotArnsToRestores": {TF: "snapshot_arns_to_restore", Kind: List},
		"snapshotRetentionLimit": n("snapshot_retention_limit"),
		"subnetIds":              set("subnet_ids"),
		"tags":                   tags,
		"userGroupId":            s("user_group_id"),
	}},
	"aws:elasticache/subnetGroup:SubnetGroup": {TF: "aws_elasticache_subnet_group", Attrs: map[string]Attr{
		"description": s("description"),
		"name":        s("name"),
		"subnetIds":   set("subnet_ids"),
		"tags":        tags,
	}},
	"aws:elasticache/user:User": {TF: "aws_elasticache_user", Attrs: map[string]Attr{
		"accessString": s("access_string"),
		"authenticationMode": block("authentication_mode", map[string]Attr{
			"passwords": set("passwords"),
			"type":      s("type"),
		}),
		"engine":   noted(s("engine"), "an uppercase engine name is deprecated since v6.0; rediskit sends lowercase"),
		"tags":     tags,
		"userId":   s("user_id"),
		"userName": s("user_name"),
	}},
	"aws:elasticache/userGroup:UserGroup": {TF: "aws_elasticache_user_group", Attrs: map[string]Attr{
		"engine":      noted(s("engine"), "an uppercase engine name is deprecated since v6.0; rediskit sends lowercase"),
		"tags":        tags,
		"userGroupId": s("user_group_id"),
		"userIds":     set("user_ids"),
	}},
	"aws:secretsmanager/secret:Secret": {TF: "aws_secretsmanager_secret", Attrs: map[string]Attr{
		"description": s("description"),
		"kmsKeyId":    s("kms_key_id"),
		"namePrefix":  s("name_prefix"),
		"tags":        tags,
	}},
	"aws:secretsmanager/secretVersion:SecretVersion": {TF: "aws_secretsmanager_secret_version", Attrs: map[string]Attr{
		"secretId":     s("secret_id"),
		"secretString": s("secret_string"),
	}},
	"aws:sns/topic:Topic": {TF: "aws_sns_topic", Attrs: map[string]Attr{
		"name": s("name"),
		"tags": tags,
	}},
	"aws:sns/topicPolicy:TopicPolicy": {TF: "aws_sns_topic_policy", Attrs: map[string]Attr{
		"arn":    s("arn"),
		"policy": s("policy"),
	}},
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {TF: "aws_vpc_security_group_ingress_rule", Attrs: map[string]Attr{
		"cidrIpv4":                  s("cidr_ipv4"),
		"cidrIpv6":                  s("cidr_ipv6"),
		"description":               s("description"),
		"fromPort":                  n("from_port"),
		"ipProtocol":                s("ip_protocol"),
		"referencedSecurityGroupId": s("referenced_security_group_id"),
		"securityGroupId":           s("security_group_id"),
		"tags":                      tags,
		"toPort":                    n("to_port"),
	}},
}

// OutsideGate are the non-AWS resource types the components create, with why the gate passes
// them by. Any other type outside Types is an error.
var OutsideGate = map[string]string{
	"random:index/randomPassword:RandomPassword": "the random provider draws the value locally; it reaches AWS resources as an unknown",
	"random:index/randomId:RandomId":             "the random provider draws the value locally; it reaches AWS resources as an unknown",
}
